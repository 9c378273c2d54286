"""A Django REST framework API over the encrypted models (tests/test_drf.py)."""
from rest_framework import routers, serializers, viewsets

from .models import Patient, Sample


class SampleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sample
        fields = "__all__"


class PatientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = "__all__"


class SampleViewSet(viewsets.ModelViewSet):
    queryset = Sample.objects.all()
    serializer_class = SampleSerializer


class PatientViewSet(viewsets.ModelViewSet):
    """?ssn=... / ?mrn=... filter by a deterministic field (the exact lookup, across key versions)."""
    queryset = Patient.objects.all()
    serializer_class = PatientSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        for name in ("ssn", "mrn"):
            if name in self.request.query_params:
                queryset = queryset.filter(**{name: self.request.query_params[name]})
        return queryset.order_by("pk")


router = routers.DefaultRouter()
router.register("samples", SampleViewSet)
router.register("patients", PatientViewSet)

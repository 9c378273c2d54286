from django.contrib import admin
from django.urls import include, path

from clinic.admin import masked_site
from clinic.api import router

urlpatterns = [path("admin/", admin.site.urls), path("masked-admin/", masked_site.urls), path("api/", include(router.urls))]

from django.apps import AppConfig


class PhiCryptoConfig(AppConfig):
    name = "phicrypto.django"
    label = "phicrypto"
    verbose_name = "PhiCrypto field encryption"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import admin, checks, expressions  # noqa: F401 (admin and checks register system checks)
        expressions.install()

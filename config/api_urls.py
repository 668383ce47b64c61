from rest_framework.routers import DefaultRouter

from contracts.api import register as register_contracts

router = DefaultRouter()
register_contracts(router)

urlpatterns = router.urls

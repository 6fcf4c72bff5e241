from django.conf import settings

from core.shop import shop_settings


def shop(request) -> dict:
    shop = shop_settings()
    return {"shop_name": shop.name, "shop": shop, "privacy_policy_url": settings.VOZ_PRIVACY_POLICY_URL}

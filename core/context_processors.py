from django.conf import settings


def shop(request) -> dict:
    return {"shop_name": settings.VOZ_SHOP_NAME, "privacy_policy_url": settings.VOZ_PRIVACY_POLICY_URL}

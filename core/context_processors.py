from core.shop import shop_settings


def shop(request) -> dict:
    shop = shop_settings()
    return {"shop_name": shop.name, "shop": shop}

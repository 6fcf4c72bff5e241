"""The "Connect your shop" page: managers and admins set up, test and watch the shop connectors."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.personal_data import may_see_personal_data
from integrations import selectors, services, shopify, woocommerce
from integrations.forms import ConnectorForm
from integrations.models import Connector, Platform, PrivacyRequest


def _webhook_urls(connector: Connector) -> list[dict]:
    if connector.platform == Platform.SHOPIFY:
        url = settings.VOZ_PUBLIC_BASE_URL + reverse("shopify-webhook", args=[connector.public_id])
        return [{"topic": topic, "url": url} for topic in shopify.SUBSCRIBED_TOPICS]
    if connector.platform == Platform.WOOCOMMERCE:
        url = settings.VOZ_PUBLIC_BASE_URL + reverse("woocommerce-webhook", args=[connector.public_id])
        return [{"topic": topic, "url": url} for topic in woocommerce.ORDER_TOPICS]
    return []


@login_required
@permission_required("integrations.view_connector", raise_exception=True)
def connectors(request):
    form = ConnectorForm()
    if request.method == "POST":
        if not request.user.has_perm("integrations.add_connector"):
            raise PermissionDenied
        form = ConnectorForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            secret = data["secret"] or services.generate_secret()
            connector = services.connector_create(
                platform=data["platform"], shop_url=data["shop_url"], secret=secret, actor=request.user
            )
            if not data["secret"]:
                # shown once, like an API token: the shop needs it, and Voz never shows it again
                messages.success(
                    request,
                    _("Connected. Give the shop this webhook secret (it is not shown again): %(secret)s")
                    % {"secret": secret},
                )
            else:
                messages.success(request, _("Connected. Now press Test connection."))
            return redirect(f"{reverse('integrations:connectors')}#connector-{connector.pk}")
    rows = [
        {
            "connector": connector,
            "webhooks": _webhook_urls(connector),
            "refused": selectors.deliveries_refused_recently(connector),
            "privacy": selectors.privacy_requests_recent(connector),
            "edit_form": ConnectorForm(
                initial={"shop_url": connector.shop_url}, editing=True, prefix=f"c{connector.pk}"
            ),
        }
        for connector in selectors.connectors_with_counts()
    ]
    return render(
        request,
        "integrations/connectors.html",
        {
            "nav": "connectors",
            "form": form,
            "rows": rows,
            "can_change": request.user.has_perm("integrations.change_connector"),
            "personal_data": may_see_personal_data(request),
        },
        status=400 if form.errors else 200,
    )


def _connector_for_change(request, pk: int) -> Connector:
    if not request.user.has_perm("integrations.change_connector"):
        raise PermissionDenied
    return get_object_or_404(Connector, pk=pk)


def _back(connector_pk: int):
    return redirect(f"{reverse('integrations:connectors')}#connector-{connector_pk}")


@login_required
@permission_required("integrations.view_connector", raise_exception=True)
@require_POST
def connector_test(request, pk: int):
    connector = _connector_for_change(request, pk)
    ok, message = services.connector_test(connector=connector)
    (messages.success if ok else messages.error)(request, message)
    return _back(connector.pk)


@login_required
@permission_required("integrations.view_connector", raise_exception=True)
@require_POST
def connector_sync(request, pk: int):
    connector = _connector_for_change(request, pk)
    if connector.platform != Platform.PRESTASHOP:
        messages.error(request, _("Only PrestaShop is read on demand; the others send their orders themselves."))
        return _back(connector.pk)
    stored = services.prestashop_sync(connector_id=connector.pk)
    connector.refresh_from_db()
    if connector.last_error_code:
        messages.error(request, connector.last_error_display())
    else:
        messages.success(request, _("%(count)d orders read from the shop.") % {"count": stored})
    return _back(connector.pk)


@login_required
@permission_required("integrations.view_connector", raise_exception=True)
@require_POST
def connector_edit(request, pk: int):
    connector = _connector_for_change(request, pk)
    form = ConnectorForm(request.POST, editing=True, prefix=f"c{connector.pk}")
    if form.is_valid():
        services.connector_update(
            connector=connector,
            shop_url=form.cleaned_data["shop_url"],
            secret=form.cleaned_data["secret"],
            actor=request.user,
        )
        messages.success(request, _("Saved."))
    else:
        errors = "; ".join(str(message) for field in form.errors.values() for message in field)
        messages.error(request, errors)
    return _back(connector.pk)


@login_required
@permission_required("integrations.view_connector", raise_exception=True)
@require_POST
def connector_delete(request, pk: int):
    if not request.user.has_perm("integrations.delete_connector"):
        raise PermissionDenied
    connector = get_object_or_404(Connector, pk=pk)
    services.connector_delete(connector=connector, actor=request.user)
    messages.success(request, _("Connector removed; the orders it brought stay."))
    return redirect("integrations:connectors")


@login_required
@permission_required("integrations.view_connector", raise_exception=True)
def privacy_export(request, pk: int, request_pk: int):
    """A customer's data, asked for through the shop, for the owner to hand over."""
    if not may_see_personal_data(request):
        raise PermissionDenied
    privacy_request = get_object_or_404(
        PrivacyRequest, pk=request_pk, connector_id=pk, kind=PrivacyRequest.Kind.DATA_REQUEST, export__isnull=False
    )
    response = JsonResponse(privacy_request.export, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="voz-data-request-{privacy_request.pk}.json"'
    return response

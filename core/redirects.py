from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_back(request, back: str | None, fallback: str) -> HttpResponseRedirect:
    """Back to the page a form came from when `back` is a path on this site, else to `fallback`.

    `back` comes from the form, so anyone can put anything in it: another site (an open redirect)
    or something that is not a URL at all (which `redirect` would try to reverse as a view name).
    """
    on_this_site = (
        bool(back)
        and back.startswith("/")
        and back.isprintable()
        and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    )
    return HttpResponseRedirect(back) if on_this_site else redirect(fallback)

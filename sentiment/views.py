import re

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render

from sentiment import selectors
from sentiment.exports import feedback_csv_response
from sentiment.filters import FeedbackFilter

PAGE_SIZE = 25


def _filtered(request):
    feed = selectors.feedback_feed()
    # ?item=<id>: one item, as a link from elsewhere (an alert's evidence) shows it
    item = request.GET.get("item", "")
    if re.fullmatch(r"[0-9]{1,18}", item):
        feed = feed.filter(pk=int(item))
    return FeedbackFilter(request.GET or None, queryset=feed)


@login_required
@permission_required("feedback.view_feedbackitem", raise_exception=True)
def feed(request):
    """Support staff and managers read everything customers said, from every channel, in one place."""
    feedback_filter = _filtered(request)
    if not feedback_filter.is_bound or feedback_filter.is_valid():
        queryset = feedback_filter.qs
    else:
        queryset = feedback_filter.queryset.filter(brand__isnull=True)  # beside the errors: the shop's own
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": feedback_filter,
        "page": page,
        "querystring_without_page": f"{query.urlencode()}&" if query else "",
        "nav": "feed",
    }
    template = "feedback/_feed_results.html" if request.htmx else "feedback/feed.html"
    return render(request, template, context, status=200 if not feedback_filter.errors else 400)


@login_required
@permission_required("feedback.view_feedbackitem", raise_exception=True)
def feed_export(request):
    feedback_filter = _filtered(request)
    if feedback_filter.is_bound and not feedback_filter.is_valid():
        return feed(request)  # the feed page with the errors beside the fields, a 400
    return feedback_csv_response(feedback_filter.qs, request)

from django.urls import reverse

# The side navigation: (label, url name). Sections later work fills show an empty state.
NAV = [
    ("首页", "home"),
    ("企业库", "enterprises:index"),
    ("梯次培育", "cultivation:index"),
    ("目标任务", "targets:index"),
    ("季度报送", "reports:index"),
    ("驾驶舱", "dashboard:page"),
    ("通报", "bulletins:list"),
]


def portal(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    items: list[dict[str, object]] = [{"label": label, "url": reverse(name)} for label, name in NAV]
    # The longest URL that prefixes the current path is the active section; 首页 ("/")
    # prefixes every path, so it is active on itself only (not on 消息, 导出记录 …).
    matches = [
        str(i["url"])
        for i in items
        if request.path.startswith(str(i["url"])) and (i["url"] != "/" or request.path == "/")
    ]
    active = max(matches, key=len, default=None)
    for item in items:
        item["active"] = item["url"] == active
    from .notifications import unread_count

    return {"nav_items": items, "unread_count": unread_count(request.user)}

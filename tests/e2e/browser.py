"""A browser page as a persona walks the portal: a screenshot per step and every JavaScript
error or failed request the pages raise."""

from core.demo import DEMO_PASSWORD
from core.models import User


class Journey:
    """One browser page, a screenshot per step, and every JavaScript error the pages raise."""

    def __init__(self, context, base_url, folder):
        self.page = context.new_page()
        self.base_url = base_url
        self.folder = folder
        self.step = 0
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(f"{self.page.url}: {error}"))
        self.page.on("console", self._console)
        self.page.on("response", self._response)

    def _console(self, message):
        # a failed request is reported, with its address, by _response
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"{self.page.url}: console: {message.text}")

    def _response(self, response):
        # the portal has no favicon; the browser asks for one anyway (not a page's request)
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.errors.append(f"{self.page.url}: HTTP {response.status} {response.url}")

    def follow(self, locator, **click):
        """Click something that loads a new page (a link, a form's button, a chart), and wait
        for that page: a POST that redirects to the same address is a new page too."""
        with self.page.expect_navigation():
            locator.click(**click)

    def go(self, path):
        self.page.goto(self.base_url + path)

    def shot(self, name):
        self.step += 1
        path = self.folder / f"{self.step:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def login(self, username):
        page = self.page
        self.go("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        self.shot(f"login-{username}")
        self.follow(page.locator("button:has-text('登录')"))
        assert "/accounts/login/" not in page.url, page.inner_text("main")
        assert User.objects.get(username=username).display_name in page.inner_text(".topbar")

    def logout(self):
        self.follow(self.page.locator(".topbar button:has-text('退出')"))

    def assert_no_errors(self):
        assert not self.errors, "\n".join(self.errors)

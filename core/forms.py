from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    # One message for either mistake: never hint whether the user name exists.
    error_messages = {
        "invalid_login": "用户名或密码不正确，请重新输入。连续输错 %(limit)s 次将暂时锁定。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }

    def get_invalid_login_error(self):
        from django.conf import settings
        from django.core.exceptions import ValidationError

        return ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={"limit": settings.AXES_FAILURE_LIMIT},
        )

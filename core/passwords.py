"""Password rules in Chinese. Django's zh_Hans catalogue lacks the minimum-length message
(its msgid changed in Django 5.0), so users saw it in English; the rest are translated."""

from django.contrib.auth import password_validation


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return f"密码太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少需要 {self.min_length} 个字符。"

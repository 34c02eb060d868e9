"""The workers' area's forms (Flask-WTF: each carries its CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs are 3.2
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation


class SignInForm(FlaskForm):
    """Email and password."""

    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password"), Length(max=1024)]
    )


class SignOutForm(FlaskForm):
    """Sign out is a POST with a token, so no other site can sign a worker out."""


class PlainRadioField(RadioField):
    """Radio buttons whose 'not one of the choices' error is the field's own words."""

    def __init__(
        self, label: str, choices: list[tuple[str, str]], missing: str, **kwargs: Any
    ) -> None:
        options = [SelectChoice(value, words) for value, words in choices]
        super().__init__(label, choices=options, validators=[InputRequired(missing)], **kwargs)
        self.missing = missing
        self.values = {value for value, _words in choices}

    def pre_validate(self, form: Any) -> None:
        """A value that is not one of the choices gets the same words as none."""
        if self.data not in self.values:
            raise StopValidation(self.missing)


class ReviewForm(FlaskForm):
    """What has happened with a flag, and a note."""

    status = PlainRadioField(
        "What has happened?",
        choices=[
            ("seen", "Seen: I have read it and I am dealing with it"),
            ("acted", "Acted on: it has been dealt with"),
        ],
        missing="Choose what has happened",
    )
    note = TextAreaField(
        "What was done, and who was told",
        validators=[Length(max=2000, message="The note can be at most 2000 characters")],
    )

"""The workers' area's forms (Flask-WTF: each carries its CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Form,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs are 3.2
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from voicebox.bot.codes import JOIN_CODE
from voicebox.bot.easyread import language_problems

CODE_RULE = "Use 2 to 32 letters or numbers, with no spaces"


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


MAX_INTRO = 300  # on SMS the words share two texts with the first question


def _easy_read(form: Any, field: Any) -> None:
    """The words before the first question follow the same Easy Read rules as a flow."""
    problems = language_problems(field.data or "")
    if problems:
        raise ValidationError(f"Make these words easier to read ({problems[0]})")


def _after_start(form: Any, field: Any) -> None:
    if field.data and form.starts_on.data and field.data < form.starts_on.data:
        raise ValidationError("The end date must be the same as or after the start date")


class CheckinForm(FlaskForm):
    """A check-in's details: code and flow when it is made; title, group, words, dates."""

    code = StringField(
        "Code",
        validators=[
            DataRequired("Enter a code"),
            Regexp(JOIN_CODE.pattern, message=CODE_RULE),
        ],
        filters=[lambda value: (value or "").strip().upper()],
    )
    title = StringField(
        "Title",
        validators=[
            DataRequired("Enter a title"),
            Length(max=200, message="The title can be at most 200 characters"),
        ],
    )
    flow = PlainRadioField("Questions", choices=[], missing="Choose the questions")
    group = PlainRadioField("Group", choices=[], missing="Choose the group that runs it")
    intro = TextAreaField(
        "Words before the first question (optional)",
        validators=[
            Length(max=MAX_INTRO, message=f"Use at most {MAX_INTRO} characters"),
            _easy_read,
        ],
    )
    starts_on = DateField(
        "Opens on (optional)",
        validators=[Optional()],
        format="%Y-%m-%d",
    )
    ends_on = DateField(
        "Closes after (optional)",
        validators=[Optional(), _after_start],
        format="%Y-%m-%d",
    )

    def offer(self, field: PlainRadioField, choices: list[tuple[str, str]]) -> None:
        """Set the choices a radio field offers on this page."""
        field.choices = [SelectChoice(value, words) for value, words in choices]
        field.values = {value for value, _words in choices}


class CheckinStatusForm(FlaskForm):
    """Opening or closing a check-in is a POST with a token."""


KIND_WORDS = {
    "top": "Good things",
    "pants": "Not good things",
    "better": "Ideas to make it better",
    "feeling": "Feelings",
    "choice": "Other choices",
    "text": "Other typed answers",
}


class ConversationFilterForm(Form):
    """Narrowing the conversations list: a GET form, so a filtered list can be bookmarked."""

    words = StringField(
        "Words in an answer",
        validators=[Optional(), Length(max=100, message="Search for at most 100 characters")],
    )
    topic = SelectField("Topic", choices=[SelectChoice("", "Any topic")], validate_choice=False)
    kind = SelectField(
        "Kind of answer",
        choices=[
            SelectChoice("", "Any kind"),
            *(SelectChoice(k, w) for k, w in KIND_WORDS.items()),
        ],
        validate_choice=False,
    )
    channel = SelectField(
        "Channel", choices=[SelectChoice("", "Any channel")], validate_choice=False
    )
    flagged = BooleanField("Only conversations with a safeguarding flag")
    started_from = DateField("Started on or after", validators=[Optional()], format="%Y-%m-%d")
    started_to = DateField("Started on or before", validators=[Optional()], format="%Y-%m-%d")

    def validate_started_to(self, field: Any) -> None:
        """The last day cannot come before the first."""
        if field.data and self.started_from.data and field.data < self.started_from.data:
            raise ValidationError("The last day must be the same as or after the first day")

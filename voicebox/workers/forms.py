"""The workers' area's forms (Flask-WTF: each carries its CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Form,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs are 3.2
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from voicebox.bot.codes import JOIN_CODE
from voicebox.bot.easyread import language_problems
from voicebox.storage.retention import MAX_DAYS
from voicebox.storage.workers import MAX_GROUP_NAME, MIN_PASSWORD_LENGTH, looks_like_email

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


class DaysField(IntegerField):
    """A whole number of days; anything else gets plain words."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the number, or say plainly what to type."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a whole number of days, like 30") from None


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
    retain_days = DaysField(
        "Days to keep what people typed (optional)",
        validators=[
            Optional(),
            NumberRange(0, MAX_DAYS, f"Use a number of days from 0 to {MAX_DAYS}"),
        ],
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


class AuditFilterForm(Form):
    """Narrowing the audit log (admins): a GET form, so a filtered page can be bookmarked.
    The choices are set by the page; one not offered is a problem said beside its field."""

    action = SelectField("What they did", choices=[SelectChoice("", "Anything")], default="")
    worker = SelectField("Who", choices=[SelectChoice("", "Anyone")], default="")
    since = DateField("On or after", validators=[Optional()], format="%Y-%m-%d")
    until = DateField("On or before", validators=[Optional()], format="%Y-%m-%d")

    def validate_until(self, field: Any) -> None:
        """The last day cannot come before the first."""
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The last day must be the same as or after the first day")


# The admins' forms: workers and groups.

ROLE_CHOICES = [
    ("worker", "Worker: sees the check-ins and flags of their groups"),
    ("admin", "Admin: sees everything, and manages workers and groups"),
]


def email_shape(form: Any, field: Any) -> None:
    """An email address that is shaped like one (what storage will accept)."""
    if field.data and not looks_like_email(field.data.strip().lower()):
        raise StopValidation("Enter an email address like name@example.org")


class GroupsField(SelectMultipleField):
    """Checkboxes, one for each group, whose values are group ids."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, coerce=int, choices=[], validate_choice=False, **kwargs)
        self.known: set[int] = set()

    def offer(self, groups: list[tuple[int, str]]) -> None:
        """The groups to choose from, as (id, name)."""
        self.choices = [SelectChoice(group_id, name) for group_id, name in groups]
        self.known = {group_id for group_id, _name in groups}

    def pre_validate(self, form: Any) -> None:
        """A group that is not on the list (gone since the page was shown) gets plain words."""
        if set(self.data or []) - self.known:
            raise StopValidation("A group you chose is no longer there. Choose again.")


def _role() -> PlainRadioField:
    return PlainRadioField("Role", choices=ROLE_CHOICES, missing="Choose a role")


def _password(label: str, missing: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(missing),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=f"The password must be at least {MIN_PASSWORD_LENGTH} characters",
            ),
            Length(max=1024, message="The password can be at most 1024 characters"),
        ],
    )


class WorkerAccessForm(FlaskForm):
    """A worker's role and groups."""

    role = _role()
    groups = GroupsField("Groups")


class AddWorkerForm(FlaskForm):
    """A new worker: email, role, groups and a first password."""

    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter their email address"),
            Length(max=254, message="The email address can be at most 254 characters"),
            email_shape,
        ],
    )
    role = _role()
    groups = GroupsField("Groups")
    password = _password("First password", "Enter a first password")


class NewPasswordForm(FlaskForm):
    """A new password an admin sets for a worker."""

    password = _password("New password", "Enter a new password")


class ButtonForm(FlaskForm):
    """A form that is only a button and its token (turn off, turn back on)."""


class GroupNameForm(FlaskForm):
    """A group's name, new or changed."""

    name = StringField(
        "Group name",
        validators=[
            DataRequired("Enter a name for the group"),
            Length(
                max=MAX_GROUP_NAME,
                message=f"The name can be at most {MAX_GROUP_NAME} characters",
            ),
        ],
    )


class ContactForm(FlaskForm):
    """An email address to tell at once about a group's flags."""

    email = EmailField(
        "Email address of a new contact",
        validators=[
            DataRequired("Enter an email address"),
            Length(max=254, message="The email address can be at most 254 characters"),
            email_shape,
        ],
    )


class RemoveContactForm(FlaskForm):
    """Which contact to stop telling."""

    email = HiddenField(validators=[DataRequired()])


class ThemeNameForm(FlaskForm):
    """A theme's name: to make one, or to rename one."""

    name = StringField(
        "Theme name",
        validators=[
            DataRequired("Give the theme a name"),
            Length(max=80, message="A theme's name can be at most 80 characters"),
        ],
    )


class ThemeMergeForm(FlaskForm):
    """Other themes to fold into this one."""

    sources = SelectMultipleField(
        "Themes to merge into this one",
        coerce=int,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[DataRequired("Choose at least one theme to merge")],
    )


class ThemeTagForm(FlaskForm):
    """Ticked answers, a theme, and whether to add it or take it off."""

    answers = SelectMultipleField("Answers", coerce=int, validate_choice=False)
    theme = SelectField("Theme", coerce=int, validate_choice=False)
    action = HiddenField(default="add")
    back = HiddenField()  # the list's filters, to come back to the same answers


class AnswerFilterForm(Form):
    """The themes page's filters (GET, so no token)."""

    kind = SelectField(
        "Kind of answer",
        choices=[
            SelectChoice("typed", "Typed words"),
            SelectChoice("top", "What is good"),
            SelectChoice("pants", "What is not good"),
            SelectChoice("better", "What would make it better"),
            SelectChoice("", "Every answer, with choices"),
        ],
        default="typed",
        validate_choice=False,
    )
    topic = SelectField("Part of life", validate_choice=False)
    theme = SelectField("Theme", validate_choice=False)
    words = StringField("Words in the answer", validators=[Optional(), Length(max=100)])


class FindPersonForm(FlaskForm):
    """Who to erase: how they are known, and the pseudonym, number or chat id they give."""

    kind = PlainRadioField(
        "How do you know them?",
        choices=[
            ("pseudonym", "By their name in Voicebox, like Otter-4821"),
            ("sms", "By the phone number they text from"),
            ("telegram", "By their Telegram chat id"),
        ],
        missing="Choose how you know them",
    )
    who = StringField(
        "Their name, phone number or chat id",
        validators=[
            DataRequired("Enter their name, phone number or chat id"),
            Length(max=64, message="That is too long: use at most 64 characters"),
        ],
    )


class ErasePersonForm(FlaskForm):
    """Erasing is a POST with a token, after the page that says what will go."""

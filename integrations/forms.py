from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import AccessibleForm
from core.validators import validate_single_line
from integrations.models import EventType


class EndpointForm(AccessibleForm):
    url = forms.URLField(
        label=_("Address (https)"),
        max_length=500,
        assume_scheme="https",
        validators=[validate_single_line],
        # fr: L'adresse de votre logiciel qui recevra les événements, en https.
        help_text=_("The address of your software that receives the events, over https."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        validators=[validate_single_line],
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
    )

"""A `<select>` written in Python: the same HTML as Django's `Select` widget, without a template
rendered per option. The list pages' filters offer every contract of the tenant (hundreds), and
Django's widget renders each `<option>` through two included templates, which cost a page more than
its rows, and builds a model instance per option (`ValuesChoiceIterator` reads values instead).
tests/tenancy/test_widgets.py holds the output equal to Django's. A form with such a select calls
`fast_selects(self)` at the end of its `__init__`."""

from __future__ import annotations

import html

from django import forms
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


def _escape(value) -> str:
    """`conditional_escape`, without its lazy-argument wrapper (an option's value and label)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html"""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {conditional_escape(name)}" if value is True
                   else f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(out)


class Select(forms.Select):
    """Named `Select` as Django's is: a template reads the class name (`BoundField.widget_type`)."""

    def render(self, name, value, attrs=None, renderer=None):
        if self.template_name != forms.Select.template_name or self.option_template_name != forms.Select.option_template_name:
            return super().render(name, value, attrs, renderer)
        if self.allow_multiple_selected or self.option_inherits_attrs:  # not a plain select: Django's own
            return super().render(name, value, attrs, renderer)
        # What `optgroups` and the two templates make of the choices, without a dict per option: an
        # option's attributes are only `selected`, on the first option whose value is chosen.
        chosen = self.format_value(value)
        parts = [f'<select name="{_escape(name)}"{_attrs(self.build_attrs(self.attrs, attrs))}>']
        has_selected = False
        for option_value, option_label in self.choices:
            if option_value is None:
                option_value = ""
            grouped = isinstance(option_label, (list, tuple))
            tagged = grouped and bool(option_value)  # the template's `{% if group_name %}`
            if tagged:
                parts.append(f'\n  <optgroup label="{_escape(option_value)}">')
            for subvalue, sublabel in option_label if grouped else ((option_value, option_label),):
                selected = not has_selected and str(subvalue) in chosen
                has_selected |= selected
                parts.append(f'\n  <option value="{_escape(subvalue)}"{" selected" if selected else ""}>'
                             f"{_escape(sublabel)}</option>\n")
            if tagged:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 — every piece above is escaped


FastSelect = Select


def fast_selects(form: forms.BaseForm) -> None:
    """Give the form's plain `Select` widgets the Python-written one (same HTML)."""
    for field in form.fields.values():
        if type(field.widget) is forms.Select:
            field.widget.__class__ = FastSelect


class ValuesChoiceIterator(ModelChoiceIterator):
    """The choices of a model choice field read with `values()`: the field's `label_values` and
    `label_from_values(row)` give each option's label, with the same value and label as
    `label_from_instance` would, without a model instance per option."""

    def __iter__(self):
        field = self.field
        if field.to_field_name:
            yield from super().__iter__()
            return
        if field.empty_label is not None:
            yield ("", field.empty_label)
        for row in self.queryset.values("pk", *field.label_values):
            yield (ModelChoiceIteratorValue(row["pk"], row), field.label_from_values(row))

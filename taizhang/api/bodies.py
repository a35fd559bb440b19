"""The base of the JSON bodies of the activities, study and points endpoints: a body must be a JSON object.
(ninja's ``Schema`` reads its fields as attributes of whatever it is given, so a body with only optional
fields would take a JSON array or ``null`` as "all defaults"; the OpenAPI schema says ``object``.)"""

from ninja import Schema
from pydantic import model_validator
from pydantic_core import PydanticCustomError


class Body(Schema):
    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value):
        if not isinstance(getattr(value, "_obj", value), dict):
            raise PydanticCustomError("dict_type", "a JSON object")
        return value

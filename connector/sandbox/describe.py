"""Describe payloads (global and per object) built from `schema`."""

from __future__ import annotations

from typing import Any

from connector.sandbox.schema import OBJECTS, FieldSpec, ObjectSpec

_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}


def _urls(spec: ObjectSpec, version: str) -> dict[str, str]:
    base = f"/services/data/{version}/sobjects/{spec.name}"
    return {
        "sobject": base,
        "describe": f"{base}/describe",
        "rowTemplate": f"{base}/{{ID}}",
    }


def _object_flags(spec: ObjectSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "label": spec.label,
        "labelPlural": spec.label_plural,
        "keyPrefix": spec.key_prefix,
        "custom": False,
        "customSetting": False,
        "createable": spec.createable,
        "updateable": spec.updateable,
        "deletable": spec.createable,
        "queryable": True,
        "retrieveable": True,
        "searchable": spec.createable,
        "replicateable": True,
        "triggerable": spec.createable,
        "undeletable": spec.createable,
        "layoutable": spec.createable,
        "mergeable": spec.name in ("Account", "Contact", "Lead"),
        "mruEnabled": True,
        "feedEnabled": False,
        "activateable": False,
        "deprecatedAndHidden": False,
    }


def global_describe(version: str) -> dict[str, Any]:
    """``GET /sobjects/``."""
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [
            {**_object_flags(spec), "urls": _urls(spec, version)}
            for spec in sorted(OBJECTS.values(), key=lambda s: s.name)
        ],
    }


def object_describe(spec: ObjectSpec, version: str) -> dict[str, Any]:
    """``GET /sobjects/{SObject}/describe/``."""
    return {
        **_object_flags(spec),
        "fields": [field_describe(field) for field in spec.fields],
        "childRelationships": [],
        "recordTypeInfos": [],
        "supportedScopes": [{"label": "All", "name": "everything"}],
        "urls": _urls(spec, version),
    }


def field_describe(field: FieldSpec) -> dict[str, Any]:
    """One ``fields[]`` entry with the documented properties."""
    text = field.is_text or field.type in ("id", "reference")
    return {
        "name": field.name,
        "label": field.label or field.name,
        "type": field.type,
        "soapType": _SOAP_TYPES.get(field.type, "xsd:string"),
        "length": field.length if text else 0,
        "byteLength": field.length * 3 if text else 0,
        "precision": 0,
        "scale": 0,
        "digits": 9 if field.type == "int" else 0,
        "nillable": field.nillable,
        "createable": field.createable,
        "updateable": field.updateable,
        "defaultedOnCreate": field.defaulted or not field.createable,
        "custom": field.custom,
        "calculated": False,
        "autoNumber": False,
        "unique": field.unique,
        "externalId": field.external_id,
        "idLookup": field.external_id or field.type == "id",
        "caseSensitive": False,
        "filterable": field.type != "textarea",
        "sortable": field.type != "textarea",
        "groupable": field.type not in ("textarea", "datetime"),
        "nameField": field.name_field,
        "restrictedPicklist": field.restricted,
        "dependentPicklist": False,
        "controllerName": None,
        "defaultValue": None,
        "referenceTo": list(field.reference_to),
        "relationshipName": field.relationship_name,
        "polymorphicForeignKey": len(field.reference_to) > 1,
        "picklistValues": [
            {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
            for v in field.picklist
        ],
    }

"""Localised names the complaint responses insert: resolutions, statuses, fields."""

from __future__ import annotations

from typing import Dict

from actions.guidance.content import dispute_name

# the form's fields, in the order they are asked (the summary can correct each)
FIELDS = (
    "studio_name",
    "shoot_reference",
    "dispute_type",
    "description",
    "desired_resolution",
    "evidence",
    "contact",
)
DISPUTE_TYPES = (
    "quality",
    "refund",
    "non_payment",
    "privacy",
    "pricing",
    "false_advertising",
    "delay",
    "copyright",
)
RESOLUTIONS = (
    "full_refund",
    "partial_refund",
    "reshoot",
    "corrected_photos",
    "delete_leaked",
    "apology",
    "other",
)

RESOLUTION_NAMES: Dict[str, Dict[str, str]] = {
    "fr": {
        "full_refund": "remboursement intégral",
        "partial_refund": "remboursement partiel",
        "reshoot": "nouvelle séance",
        "corrected_photos": "photos corrigées",
        "delete_leaked": "suppression des photos diffusées",
        "apology": "des excuses",
        "other": "autre",
    },
    "zh": {
        "full_refund": "全额退款",
        "partial_refund": "部分退款",
        "reshoot": "重新拍摄",
        "corrected_photos": "重新修图",
        "delete_leaked": "删除外泄的照片",
        "apology": "赔礼道歉",
        "other": "其他",
    },
    "ru": {
        "full_refund": "полный возврат денег",
        "partial_refund": "частичный возврат денег",
        "reshoot": "повторная съёмка",
        "corrected_photos": "исправленные фотографии",
        "delete_leaked": "удаление попавших в сеть фото",
        "apology": "извинения",
        "other": "другое",
    },
}

STATUS_NAMES: Dict[str, Dict[str, str]] = {
    "fr": {
        "new": "reçue",
        "in_review": "en cours d'examen",
        "negotiating": "en négociation avec le studio",
        "mediation": "en médiation",
        "resolved": "résolue",
        "rejected": "rejetée",
    },
    "zh": {
        "new": "已受理",
        "in_review": "审核中",
        "negotiating": "正在与商家协商",
        "mediation": "调解中",
        "resolved": "已解决",
        "rejected": "未予受理",
    },
    "ru": {
        "new": "принята",
        "in_review": "на рассмотрении",
        "negotiating": "идут переговоры со студией",
        "mediation": "на медиации",
        "resolved": "урегулирована",
        "rejected": "отклонена",
    },
}

NOT_GIVEN = {"fr": "non précisé", "zh": "未填写", "ru": "не указано"}


def resolution_name(language: str, value: str) -> str:
    """A desired resolution's name in that language."""
    return RESOLUTION_NAMES.get(language, RESOLUTION_NAMES["fr"]).get(value, value)


def status_name(language: str, status: str) -> str:
    """A case status's name in that language."""
    return STATUS_NAMES.get(language, STATUS_NAMES["fr"]).get(status, status)


def dispute_label(language: str, value: str) -> str:
    """A dispute type's name in that language (the guidance's wording)."""
    return dispute_name(language, value) if value in DISPUTE_TYPES else str(value)

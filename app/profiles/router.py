"""HTTP routes for invoice profiles."""

from fastapi import APIRouter

router = APIRouter(tags=["invoice profiles"])

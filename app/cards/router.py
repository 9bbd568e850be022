"""HTTP routes for stored-value cards."""

from fastapi import APIRouter

router = APIRouter(tags=["stored-value cards"])

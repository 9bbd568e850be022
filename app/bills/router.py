"""HTTP routes for bills."""

from fastapi import APIRouter

router = APIRouter(tags=["bills"])

"""HTTP routes for invoice requests."""

from fastapi import APIRouter

router = APIRouter(tags=["invoice requests"])

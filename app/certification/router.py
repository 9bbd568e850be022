"""HTTP routes for certification."""

from fastapi import APIRouter

router = APIRouter(tags=["certification"])

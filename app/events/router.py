"""HTTP routes for events."""

from fastapi import APIRouter

router = APIRouter(tags=["events"])

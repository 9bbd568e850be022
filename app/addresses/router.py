"""HTTP routes for mailing addresses."""

from fastapi import APIRouter

router = APIRouter(tags=["mailing addresses"])

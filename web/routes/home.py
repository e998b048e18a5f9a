"""首页 (驾驶舱)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.deps import CurrentActor, render

router = APIRouter()


@router.get("/")
def home(request: Request, actor: CurrentActor) -> Response:
    return render(request, "home/index.html", {})

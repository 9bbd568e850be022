"""The draft of a request as a PDF preview (seller, buyer, lines, totals, "preview — not an invoice"),
rendered by app/documents from the request as the API shows it."""

import uuid

from anyio import to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import AuthContext
from app.requests.queries import get_request


async def draft_pdf(session: AsyncSession, auth: AuthContext, request_id: uuid.UUID) -> bytes:
    """The PDF of the request's draft (another account's request is 404, as a read)."""
    # Imported on first use: fpdf2 and its font parser add about a second to every worker's start.
    from app.documents import draft_documents, render_draft_preview

    out = (await get_request(session, auth, request_id)).model_dump(mode="json")
    documents = draft_documents(
        seller=out["seller"],
        profile=out["profile"],
        draft=out["draft"],
        invoice_type=out["invoice_type"],
        remark=out["remark"],
    )
    # Rendering is CPU work of a few tens of milliseconds: off the event loop.
    return await to_thread.run_sync(render_draft_preview, documents)

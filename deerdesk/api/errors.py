"""Errors of the DeerAPI client, one type per business-code family of the contract.

Every error carries the HTTP status, the business code, the server's own message and the
request id, and says in `str()` what happened in words a person understands. No error ever
holds the API key.
"""

from __future__ import annotations


class DeerDeskError(Exception):
    """Base of every error DeerDesk raises on purpose."""


class ValidationError(DeerDeskError, ValueError):
    """Input that the service would refuse, caught before sending."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ApiError(DeerDeskError):
    """The service answered with an error (or with something that is not an answer)."""

    retryable = False
    #: Whether the failed call may still have taken effect on the server (matters for create).
    outcome_unknown = False
    summary = "The service reported an error."
    detail_label = "The service said"

    def __init__(
        self,
        http_status: int | None,
        code: int | None = None,
        server_message: str = "",
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.http_status = http_status
        self.code = code
        self.server_message = server_message
        self.request_id = request_id
        self.retry_after = retry_after
        super().__init__(self.user_message)

    @property
    def user_message(self) -> str:
        text = self.summary
        if self.server_message and self.server_message not in text:
            text += f" {self.detail_label}: {self.server_message}"
        details = []
        if self.code is not None:
            details.append(f"code {self.code}")
        if self.http_status is not None:
            details.append(f"HTTP {self.http_status}")
        if self.request_id:
            details.append(f"request {self.request_id}")
        return f"{text} ({', '.join(details)})" if details else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(http_status={self.http_status!r}, code={self.code!r}, "
            f"server_message={self.server_message!r}, request_id={self.request_id!r})"
        )


class AuthError(ApiError):
    summary = "The API key was not accepted: it is wrong, empty, malformed or expired."


class AccountError(ApiError):
    summary = "The DeerAPI account cannot be used right now."


class ArrearsError(AccountError):
    summary = "The DeerAPI account is in arrears: top up the balance to continue."


class ResourcePackError(AccountError):
    summary = "The account's resource pack is used up or has expired."


class PermissionDeniedError(ApiError):
    summary = "This key has no permission for text-to-audio."


class IpPolicyError(AccountError):
    summary = "The account's IP allow-list does not include this machine."


class InvalidRequestError(ApiError):
    summary = "The service refused the request as invalid."


class NotFoundError(ApiError):
    summary = "The service does not know this task."


class ClientBugError(ApiError):
    summary = "DeerDesk sent a request the service does not support (a bug; please report it)."


class PolicyError(ApiError):
    summary = "The service's platform policy refused this request."


class ContentSafetyError(ApiError):
    summary = "The prompt was refused by the content-safety policy: change the prompt."


class RateLimitError(ApiError):
    retryable = True
    summary = "The service is rate limiting requests; DeerDesk is waiting and will retry."


class ServerError(ApiError):
    retryable = True
    outcome_unknown = True
    summary = "The service had an internal problem; DeerDesk will retry."


class ProtocolError(ApiError):
    """An answer that is not the contract's envelope: not JSON, truncated, wrong shape."""

    retryable = True
    outcome_unknown = True
    detail_label = "Details"
    summary = "The service sent an answer DeerDesk could not read."

    def __init__(self, http_status: int | None, detail: str, request_id: str | None = None):
        self.detail = detail
        super().__init__(http_status, None, detail, request_id)


class NotDeerApiError(ProtocolError):
    """A 4xx answer that is not the contract's envelope: most likely a wrong base URL."""

    retryable = False
    outcome_unknown = False
    summary = "The server at the base URL did not answer like DeerAPI; check the base URL."


class ConnectionFailedError(ApiError):
    """No answer: the connection failed, dropped or timed out."""

    retryable = True
    outcome_unknown = True
    detail_label = "Details"
    summary = "The service could not be reached."

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(None, None, detail, None)


class DownloadError(ApiError):
    """A result file could not be downloaded completely."""

    retryable = True
    detail_label = "Details"
    summary = "A result file could not be downloaded completely."


class ExpiredResultError(DownloadError):
    retryable = False
    summary = "The result file is no longer on the service (files are kept about 30 days)."


_BY_CODE: dict[int, type[ApiError]] = {
    **dict.fromkeys(range(1000, 1005), AuthError),
    1100: AccountError,
    1101: ArrearsError,
    1102: ResourcePackError,
    1103: PermissionDeniedError,
    1200: InvalidRequestError,
    1201: InvalidRequestError,
    1202: ClientBugError,
    1203: NotFoundError,
    1300: PolicyError,
    1301: ContentSafetyError,
    1302: RateLimitError,
    1303: RateLimitError,
    1304: IpPolicyError,
    5000: ServerError,
    5001: ServerError,
    5002: ServerError,
}

_BY_HTTP_STATUS: dict[int, type[ApiError]] = {
    401: AuthError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def error_from_answer(
    http_status: int,
    code: int | None,
    server_message: str,
    request_id: str | None,
    retry_after: float | None = None,
) -> ApiError:
    """The error for an answer: decided on the business code first, HTTP status second."""
    if code is not None and code in _BY_CODE:
        cls = _BY_CODE[code]
    elif http_status >= 500:
        cls = ServerError
    elif http_status in _BY_HTTP_STATUS:
        cls = _BY_HTTP_STATUS[http_status]
    elif 400 <= http_status < 500:
        cls = InvalidRequestError
    else:
        cls = ServerError if code and code >= 5000 else ApiError
    return cls(http_status, code, server_message, request_id, retry_after)

"""A strict fake of MiniMax's media HTTP API: image, speech, voices, video jobs, music and downloads.

It validates like MiniMax (bad values answer base_resp 2013), records every request, and can misbehave
on purpose (queued MediaFaults per path; download_fault for the files it serves)."""

from tests.fakes.media.fake import DownloadFault, FakeMedia
from tests.fakes.media.fault import MediaFault
from tests.fakes.media.records import MediaJob, MediaRequest

__all__ = ["DownloadFault", "FakeMedia", "MediaFault", "MediaJob", "MediaRequest"]

"""An HTTP/1 server that delivers one file in many ways that browsers decode and inspection
devices may not (the HTTP-Evader kinds: transfer codings, line ends, folding, lengths, status
lines, chunk sizes, content codings). Every response closes its connection.

    python3 evasion_server.py PORT

GET /variants.json lists the variants: name, the evasion kind Kagami must flag ("" for the
plain baseline) and the sha256 of the file as sent before any coding. GET /v/NAME serves one.
GET / is a page for the browser to fetch from (same origin).
"""
import gzip
import hashlib
import json
import socketserver
import struct
import sys
import zlib


def file_for(name):
    # Text a scanner would look for, and binary, different per variant.
    text = f"kagami evasion test {name}: confidential マイナンバー 1234-5678-9012\n".encode()
    return text * 40 + bytes(range(256)) * 8


def chunked(body, size_line=lambda n: b"%x" % n, piece=300, end=b"\r\n"):
    out = b""
    for i in range(0, len(body), piece):
        part = body[i:i + piece]
        out += size_line(len(part)) + end + part + end
    return out + b"0" + end + end


def gzip_with_header_fields(data):
    # FLG: FHCRC | FEXTRA | FNAME | FCOMMENT (RFC 1952), then the deflate stream and trailer.
    header = b"\x1f\x8b\x08" + bytes([0x02 | 0x04 | 0x08 | 0x10]) + b"\x00\x00\x00\x00\x00\x03"
    header += struct.pack("<H", 6) + b"KG\x02\x00ab"
    header += b"payload.exe\x00" + b"nothing to see\x00"
    header += struct.pack("<H", zlib.crc32(header) & 0xFFFF)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return header + c.compress(data) + c.flush() + struct.pack("<II", zlib.crc32(data), len(data))


def raw_deflate(data, finish=True):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + (c.flush() if finish else c.flush(zlib.Z_SYNC_FLUSH))


def head(lines, end=b"\r\n"):
    return end.join(l.encode() if isinstance(l, str) else l for l in lines) + end + end


def variants():
    """name -> (kind, builder(body) -> raw response bytes)."""
    ok = "HTTP/1.1 200 OK"
    ct = "Content-Type: application/octet-stream"
    v = {}

    def add(name, kind, build):
        v[name] = (kind, build)

    add("baseline", "", lambda b: head([ok, ct, f"Content-Length: {len(b)}"]) + b)
    add("baseline_chunked", "", lambda b: head([ok, ct, "Transfer-Encoding: chunked"]) + chunked(b))
    add("baseline_gzip", "", lambda b: head([ok, ct, "Content-Encoding: gzip"]) + gzip.compress(b))
    # Transfer-Encoding spelled other than exactly "chunked".
    add("te_upper", "transfer_encoding",
        lambda b: head([ok, ct, "Transfer-Encoding: CHUNKED"]) + chunked(b))
    add("te_list", "transfer_encoding",
        lambda b: head([ok, ct, "Transfer-Encoding: identity, chunked"]) + chunked(b))
    add("te_semicolon", "transfer_encoding",
        lambda b: head([ok, ct, "Transfer-Encoding: chunked;"]) + chunked(b))
    add("te_junk", "transfer_encoding",
        lambda b: head([ok, ct, "Transfer-Encoding: xchunked"]) + b)
    add("te_twice", "transfer_encoding",
        lambda b: head([ok, ct, "Transfer-Encoding: foo", "Transfer-Encoding: chunked"]) + chunked(b))
    add("te_http10", "chunked_http10",
        lambda b: head(["HTTP/1.0 200 OK", ct, "Transfer-Encoding: chunked"]) + chunked(b))
    add("te_with_length", "transfer_encoding",
        lambda b: head([ok, ct, "Content-Length: 10", "Transfer-Encoding: chunked"]) + chunked(b))
    add("te_space_before_colon", "header_syntax",
        lambda b: head([ok, ct, "Transfer-Encoding : chunked"]) + chunked(b))
    add("te_folded", "folding",
        lambda b: head([ok, ct, "Transfer-Encoding:", " chunked"]) + chunked(b))
    add("te_chunked_not_last", "transfer_encoding",
        lambda b: head([ok, ct, "Transfer-Encoding: chunked, identity"]) + chunked(b))
    add("te_empty_then_chunked", "transfer_encoding",
        lambda b: head([ok, ct, "Transfer-Encoding:", "Transfer-Encoding: chunked"]) + chunked(b))
    add("te_tab", "",  # blanks and tabs around a value are the syntax (OWS), no trick
        lambda b: head([ok, ct, "Transfer-Encoding:\tchunked\t"]) + chunked(b))
    # Line ends.
    add("lf_only", "line_ends",
        lambda b: head([ok, ct, "Transfer-Encoding: chunked"], b"\n") + chunked(b, end=b"\n"))
    add("mixed_line_ends", "line_ends",
        lambda b: (ok + "\r\n" + ct + "\nTransfer-Encoding: chunked\r\n\n").encode() + chunked(b))
    add("lf_cr_lf_end", "line_ends",
        lambda b: (ok + "\n" + ct + "\nTransfer-Encoding: chunked\n\r\n").encode() + chunked(b))
    # Lengths.
    add("cl_twice_same", "content_length",
        lambda b: head([ok, ct, f"Content-Length: {len(b)}", f"Content-Length: {len(b)}"]) + b)
    add("cl_list", "content_length", lambda b: head([ok, ct, f"Content-Length: {len(b)}, {len(b)}"]) + b)
    add("cl_twice_differ", "content_length",
        lambda b: head([ok, ct, f"Content-Length: {len(b)}", "Content-Length: 5"]) + b)
    # Status lines.
    add("status_http110", "status_line",
        lambda b: head(["HTTP/1.10 200 OK", ct, f"Content-Length: {len(b)}"]) + b)
    add("status_no_reason", "", lambda b: head(["HTTP/1.1 200", ct, f"Content-Length: {len(b)}"]) + b)
    add("interim_then_ok", "", lambda b: head(["HTTP/1.1 100 Continue"]) +
        head([ok, ct, f"Content-Length: {len(b)}"]) + b)
    add("status_204_with_body", "", lambda b: head(["HTTP/1.1 204 No Content", ct,
                                                     f"Content-Length: {len(b)}"]) + b)
    add("status_http09_version", "status_line",
        lambda b: head(["HTTP/0.9 200 OK", ct, f"Content-Length: {len(b)}"]) + b)
    add("status_http2_version", "status_line",
        lambda b: head(["HTTP/2.0 200 OK", ct, "Transfer-Encoding: chunked"]) + chunked(b))
    # Chunk sizes.
    add("chunk_extension", "chunk_size",
        lambda b: head([ok, ct, "Transfer-Encoding: chunked"]) +
        chunked(b, size_line=lambda n: b"%x;name=value" % n))
    add("chunk_leading_zeros", "chunk_size",
        lambda b: head([ok, ct, "Transfer-Encoding: chunked"]) +
        chunked(b, size_line=lambda n: b"0000%X" % n))
    add("chunk_trailing_space", "chunk_size",
        lambda b: head([ok, ct, "Transfer-Encoding: chunked"]) +
        chunked(b, size_line=lambda n: b"%x  " % n))
    # Content codings.
    add("ce_x_gzip", "content_encoding",
        lambda b: head([ok, ct, "Content-Encoding: x-gzip"]) + gzip.compress(b))
    add("ce_gzip_upper", "content_encoding",
        lambda b: head([ok, ct, "Content-Encoding: GZIP"]) + gzip.compress(b))
    add("ce_deflate_zlib", "", lambda b: head([ok, ct, "Content-Encoding: deflate"]) + zlib.compress(b))
    add("ce_deflate_raw", "content_encoding",
        lambda b: head([ok, ct, "Content-Encoding: deflate"]) + raw_deflate(b))
    add("ce_deflate_unterminated", "content_encoding",
        lambda b: head([ok, ct, "Content-Encoding: deflate"]) + raw_deflate(b, finish=False))
    add("ce_gzip_header_fields", "gzip_header",
        lambda b: head([ok, ct, "Content-Encoding: gzip"]) + gzip_with_header_fields(b))
    add("ce_gzip_twice", "content_encoding",
        lambda b: head([ok, ct, "Content-Encoding: gzip, gzip"]) + gzip.compress(gzip.compress(b)))
    add("ce_gzip_no_trailer", "content_encoding",
        lambda b: head([ok, ct, "Content-Encoding: gzip"]) + gzip.compress(b)[:-8])
    add("ce_x_deflate", "content_encoding",
        lambda b: head([ok, ct, "Content-Encoding: x-deflate"]) + zlib.compress(b))
    add("ce_gzip_two_members", "content_encoding", lambda b: head([ok, ct, "Content-Encoding: gzip"]) +
        gzip.compress(b[:1000]) + gzip.compress(b[1000:]))
    add("ce_identity_gzip", "content_encoding",
        lambda b: head([ok, ct, "Content-Encoding: identity, gzip"]) + gzip.compress(b))
    add("ce_two_fields", "content_encoding",
        lambda b: head([ok, ct, "Content-Encoding: gzip", "Content-Encoding: deflate"]) +
        zlib.compress(gzip.compress(b)))
    add("ce_gzip_chunked", "", lambda b: head([ok, ct, "Content-Encoding: gzip",
                                                "Transfer-Encoding: chunked"]) + chunked(gzip.compress(b)))
    return v


VARIANTS = variants()


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline(65536).decode("latin-1")
        while True:
            h = self.rfile.readline(65536)
            if h in (b"\r\n", b"\n", b""):
                break
        parts = line.split(" ")
        path = parts[1] if len(parts) > 1 else "/"
        if path == "/variants.json":
            listing = [{"name": n, "kind": k, "sha256": hashlib.sha256(file_for(n)).hexdigest()}
                       for n, (k, _) in VARIANTS.items()]
            body = json.dumps(listing).encode()
            self.wfile.write(head(["HTTP/1.1 200 OK", "Content-Type: application/json",
                                   f"Content-Length: {len(body)}", "Connection: close"]) + body)
        elif path.startswith("/v/") and path[3:] in VARIANTS:
            name = path[3:]
            self.wfile.write(VARIANTS[name][1](file_for(name)))
        else:
            body = b"<!doctype html><title>evasions</title>"
            self.wfile.write(head(["HTTP/1.1 200 OK", "Content-Type: text/html",
                                   f"Content-Length: {len(body)}"]) + body)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with Server(("127.0.0.1", int(sys.argv[1])), Handler) as s:
        print("serving", flush=True)
        s.serve_forever()

#!/usr/bin/env python3
"""Turns corpus pcaps into seed inputs for the libFuzzer targets.

fuzz_packet_pipeline reads [link byte][2-byte length][frame]...; the link byte indexes its
table (0: Ethernet, 6: IPv6 raw, ...). Seeds are a few hundred frames of real traffic each.
fuzz_analyzers reads [server port: 2][transport: 1] then [op][2-byte length][payload] steps:
the first TCP conversation of each Ethernet/IPv4 trace, payloads in packet order.
"""
import os
import struct
import sys

LINKS = {1: 0, 113: 1, 276: 2, 101: 3, 0: 4, 108: 5}


def frames(path):
    data = open(path, "rb").read()
    if len(data) < 24:
        return None, []
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    out, pos = [], 24
    while pos + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[pos : pos + 16])
        out.append(data[pos + 16 : pos + 16 + caplen])
        pos += 16 + caplen
    return linktype, out


def conversation(fr):
    """The first TCP connection's payloads (Ethernet, IPv4 only) as fuzz_analyzers steps."""
    first = None
    steps = bytearray()
    for f in fr:
        if len(f) < 14 + 20 or f[12:14] != b"\x08\x00" or f[23] != 6:
            continue
        ihl = (f[14] & 15) * 4
        tcp = 14 + ihl
        if len(f) < tcp + 20:
            continue
        total = struct.unpack(">H", f[16:18])[0]
        sport, dport = struct.unpack(">HH", f[tcp : tcp + 4])
        off = tcp + (f[tcp + 12] >> 4) * 4
        payload = f[off : 14 + total]
        ends = (f[14 + 12 : 14 + 16], sport, f[14 + 16 : 14 + 20], dport)
        if first is None:
            if not payload:
                continue
            first = ends
        if ends == first:
            op = 0
        elif ends == (first[2], first[3], first[0], first[1]):
            op = 1
        else:
            continue
        if payload:
            steps += bytes([op]) + struct.pack(">H", len(payload)) + payload
        if len(steps) > 60000:
            break
    if first is None:
        return None
    return struct.pack(">H", first[3]) + b"\x00" + steps


def tcp_directions(linktype, fr):
    """The first TCP connection's two byte streams (in packet order), any IP version, for
    Ethernet, NULL/loopback and raw IP captures."""
    skip = {1: 14, 0: 4, 108: 4, 101: 0}.get(linktype)
    if skip is None:
        return b"", b""
    first, out = None, [bytearray(), bytearray()]
    for f in fr:
        ip = f[skip:]
        if len(ip) < 20:
            continue
        if ip[0] >> 4 == 4:
            if ip[9] != 6:
                continue
            tcp, end = (ip[0] & 15) * 4, struct.unpack(">H", ip[2:4])[0]
            src, dst = ip[12:16], ip[16:20]
        elif ip[0] >> 4 == 6 and len(ip) >= 40 and ip[6] == 6:
            tcp, end = 40, 40 + struct.unpack(">H", ip[4:6])[0]
            src, dst = ip[8:24], ip[24:40]
        else:
            continue
        if len(ip) < tcp + 20:
            continue
        sport, dport = struct.unpack(">HH", ip[tcp : tcp + 4])
        payload = ip[tcp + (ip[tcp + 12] >> 4) * 4 : end]
        ends = (src, sport, dst, dport)
        if first is None and payload:
            first = ends
        if first is None:
            continue
        if ends == first:
            out[0] += payload
        elif ends == (first[2], first[3], first[0], first[1]):
            out[1] += payload
    return bytes(out[0][:60000]), bytes(out[1][:60000])


def udp_payloads(linktype, fr):
    """Every UDP payload, any IP version, for Ethernet, NULL/loopback and raw IP captures."""
    skip = {1: 14, 0: 4, 108: 4, 101: 0}.get(linktype)
    out = []
    for f in fr if skip is not None else []:
        ip = f[skip:]
        if len(ip) >= 28 and ip[0] >> 4 == 4 and ip[9] == 17:
            udp = (ip[0] & 15) * 4
        elif len(ip) >= 48 and ip[0] >> 4 == 6 and ip[6] == 17:
            udp = 40
        else:
            continue
        out.append(bytes(ip[udp + 8 :]))
    return out


def main(corpus, out_dir):
    os.makedirs(os.path.join(out_dir, "fuzz_analyzers"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "fuzz_packet_pipeline"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "fuzz_pcap_file"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "fuzz_http2"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "fuzz_quic"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "fuzz_http_filter"), exist_ok=True)
    n = 0
    for root, _, files in os.walk(corpus):
        for name in sorted(files):
            if not name.endswith(".pcap"):
                continue
            path = os.path.join(root, name)
            linktype, fr = frames(path)
            if linktype not in LINKS:
                continue
            seed = bytearray([LINKS[linktype]])
            for f in fr[:300]:
                f = f[:2047]
                seed += struct.pack(">H", len(f)) + f
            open(os.path.join(out_dir, "fuzz_packet_pipeline", name), "wb").write(seed)
            if os.path.basename(root) == "http2":
                # fuzz_http2 reads [flags][bytes]: bit 0 the server's side, bit 1 a preface.
                c2s, s2c = tcp_directions(linktype, fr)
                for flags, side in ((0x02 | 0x40, c2s), (0x01 | 0x40, s2c)):
                    if side:
                        seed_name = name + (".c2s" if flags & 2 else ".s2c")
                        open(os.path.join(out_dir, "fuzz_http2", seed_name), "wb").write(bytes([flags]) + side)
                # fuzz_http_filter reads [h2?] then pieces [length][bytes], client first.
                # Connections that begin with HTTP/1 (h2c upgrades) seed the HTTP/1 filter.
                mode = b"\x01" if c2s.startswith(b"PRI * HTTP/2.0") else b"\x00"
                seed = bytearray(mode)
                for i in range(0, min(max(len(c2s), len(s2c)), 16384), 255):
                    for side in (c2s, s2c):
                        piece = side[i:i + 255]
                        seed += bytes([len(piece)]) + piece
                open(os.path.join(out_dir, "fuzz_http_filter", name), "wb").write(seed)
                # Mode 2, the proxy's h2-to-HTTP/1.1 bridge: the client's frames, answered by
                # HTTP/1.1 responses (chunked and of known length).
                if mode == b"\x01":
                    answers = (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nAlt-Svc: h3=\":443\"\r\n\r\nhello"
                               b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
                    seed = bytearray(b"\x02")
                    for i in range(0, min(max(len(c2s), len(answers)), 16384), 255):
                        for side in (c2s, answers):
                            piece = side[i:i + 255]
                            seed += bytes([len(piece)]) + piece
                    open(os.path.join(out_dir, "fuzz_http_filter", name + ".bridge"), "wb").write(seed)
            if os.path.basename(root) == "quic":
                # fuzz_quic reads [mode][datagram]: mode 1 is a datagram.
                for i, payload in enumerate(udp_payloads(linktype, fr)[:8]):
                    open(os.path.join(out_dir, "fuzz_quic", f"{name}.{i}"), "wb").write(b"\x01" + payload)
            if linktype == 1:
                conv = conversation(fr)
                if conv:
                    open(os.path.join(out_dir, "fuzz_analyzers", name), "wb").write(conv)
            if os.path.getsize(path) < 64 * 1024:
                open(os.path.join(out_dir, "fuzz_pcap_file", name), "wb").write(open(path, "rb").read())
            n += 1
    n += document_seeds(out_dir)
    print(f"{n} seeds written to {out_dir}")


def document_seeds(out_dir):
    """Small documents and archives for fuzz_document_text, text with values for fuzz_inspect."""
    import gzip
    import io
    import tarfile
    import zipfile

    text = "社員のマイナンバー: 1234-5678-9018 電話 03-1234-5678 taro@example.co.jp 社外秘\n"
    docs = {"plain.txt": text.encode(), "sjis.txt": text.encode("cp932"),
            "iso2022.txt": text.encode("iso2022_jp"),
            "page.html": ("<html><script>x</script><p>" + text + "&amp;&#x3A;</p></html>").encode(),
            "doc.rtf": b"{\\rtf1\\ansi\\ansicpg932{\\fonttbl{\\f0 M;}}\\'83\\'7d \\u31038?\\par}"}
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        f.writestr("[Content_Types].xml", "<Types/>")
        f.writestr("word/document.xml", "<w:document><w:p><w:r><w:t>" + text + "</w:t></w:r></w:p></w:document>")
    docs["doc.docx"] = z.getvalue()
    t = io.BytesIO()
    with tarfile.open(fileobj=t, mode="w") as f:
        info = tarfile.TarInfo("inner.docx")
        info.size = len(docs["doc.docx"])
        f.addfile(info, io.BytesIO(docs["doc.docx"]))
    docs["bundle.tar.gz"] = gzip.compress(t.getvalue())
    for target, items in (("fuzz_document_text", docs),
                          ("fuzz_inspect", {"values.txt": b"\x07" + text.encode()})):
        os.makedirs(os.path.join(out_dir, target), exist_ok=True)
        for name, data in items.items():
            open(os.path.join(out_dir, target, name), "wb").write(data)
    queries = ["host:*.example.com AND method:POST AND time:[2026-11-01 TO 2026-11-02]",
               "user:tanaka file.type:xlsx finding:jp_my_number", "ip:10.0.0.0/8 -port:53",
               "sha256:" + "ab" * 32, "(subject:\"見積書\" OR 極秘) severity:>=high",
               "size:[1k TO 10M] mime:image/* NOT decrypted:true", "time:>now-24h app:smtp"]
    os.makedirs(os.path.join(out_dir, "fuzz_query"), exist_ok=True)
    for i, q in enumerate(queries):
        open(os.path.join(out_dir, "fuzz_query", "q%d" % i), "wb").write(bytes([i]) + q.encode())
    return len(docs) + 1 + len(queries)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

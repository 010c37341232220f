#include "kagami/analyzers/smb/pipe_calls.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "kagami/wire/dcerpc.h"

namespace kagami::analyzers {
namespace {

constexpr std::size_t kKeptStub = 64u << 10;  // of a request: its arguments read here
constexpr std::size_t kKeptAnswer = 256;      // of a response: a returned handle
constexpr std::size_t kMaxCalls = 256;        // requests awaiting their answer
constexpr std::size_t kMaxContexts = 64;
constexpr std::size_t kMaxServices = 1024;

}  // namespace

std::string status_text(std::uint32_t status) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", status);
  return buf;
}

void PipeCalls::from_client(TimeNs ts, ByteView bytes, std::vector<records::DceRpcRecord>& done) {
  take(sides_[0], true, ts, bytes, done);
}

void PipeCalls::from_server(ByteView bytes, std::vector<records::DceRpcRecord>& done) {
  take(sides_[1], false, 0, bytes, done);
}

void PipeCalls::finish(std::vector<records::DceRpcRecord>& done) {
  for (auto& [id, c] : calls_) {
    if (!c.request_done) request_complete(c);
    done.push_back(std::move(c.r));
  }
  calls_.clear();
}

// PDUs may be split over several SMB messages, or several share one.
void PipeCalls::take(Side& side, bool client, TimeNs ts, ByteView bytes,
                     std::vector<records::DceRpcRecord>& done) {
  if (side.stopped) return;
  ByteView data = bytes;
  if (!side.buffer.empty()) {
    side.buffer.insert(side.buffer.end(), bytes.begin(), bytes.end());
    data = ByteView(side.buffer.data(), side.buffer.size());
  }
  std::size_t at = 0;
  while (data.size() - at >= wire::kDceRpcHeaderBytes) {
    wire::DceRpcHeader h;
    // A fragment is at most 64 KiB (its length has 16 bits): what is held stays below that.
    if (!wire::parse_dcerpc_header(data.subspan(at), h)) {
      side.stopped = violated_ = true;
      side.buffer.clear();
      return;
    }
    if (data.size() - at < h.frag_length) break;
    pdu(client, ts, data.subspan(at, h.frag_length), h, done);
    at += h.frag_length;
  }
  std::vector<std::uint8_t> rest(data.begin() + static_cast<std::ptrdiff_t>(at), data.end());
  side.buffer.swap(rest);
}

PipeCalls::Call* PipeCalls::call(std::uint32_t id, TimeNs ts) {
  auto it = calls_.find(id);
  if (it != calls_.end()) return &it->second;
  if (ts == 0) return nullptr;  // an answer to nothing asked (the capture began after it)
  if (calls_.size() >= kMaxCalls) {
    violated_ = true;  // answers that never came: the oldest call is let go
    calls_.erase(calls_.begin());
  }
  Call& c = calls_[id];
  c.r.ts = ts;
  c.r.pipe = pipe_;
  return &c;
}

void PipeCalls::pdu(bool client, TimeNs ts, ByteView p, const wire::DceRpcHeader& h,
                    std::vector<records::DceRpcRecord>& done) {
  switch (h.type) {
    case wire::dcerpc::kBind:
    case wire::dcerpc::kAlterContext: {
      if (!client) return;
      std::vector<wire::DceRpcContext> offered;
      if (!wire::dcerpc_bind(p, h, offered)) return;
      std::vector<std::uint16_t>& ids = binding_[h.call_id];
      ids.clear();
      for (const wire::DceRpcContext& c : offered) {
        if (contexts_.size() >= kMaxContexts && !contexts_.contains(c.id)) break;
        // Taken at once (a capture may miss the answer); a refusal removes it again.
        const std::string_view name = wire::dcerpc_interface_name(c.interface);
        const std::string uuid = wire::uuid_text(c.interface);
        contexts_[c.id] = Interface{name.empty() ? uuid : std::string(name), uuid};
        ids.push_back(c.id);
      }
      if (binding_.size() > kMaxContexts) binding_.erase(binding_.begin());
      return;
    }
    case wire::dcerpc::kBindAck:
    case wire::dcerpc::kAlterContextResp: {
      auto it = binding_.find(h.call_id);
      std::vector<std::uint16_t> results;
      if (client || it == binding_.end() || !wire::dcerpc_bind_ack(p, h, results)) return;
      for (std::size_t i = 0; i < results.size() && i < it->second.size(); ++i)
        if (results[i] != 0) contexts_.erase(it->second[i]);
      binding_.erase(it);
      return;
    }
    case wire::dcerpc::kRequest: {
      wire::DceRpcRequest q;
      if (!client || !wire::dcerpc_request(p, h, q)) return;
      Call* c = call(h.call_id, ts);
      if (c == nullptr) return;
      if (h.flags & wire::dcerpc::kFirstFrag) {
        const auto ctx = contexts_.find(q.context_id);
        if (ctx != contexts_.end()) {
          c->r.interface = ctx->second.name;
          c->r.interface_uuid = ctx->second.uuid;
        }
        c->r.opnum = q.opnum;
        const std::string_view op = wire::dcerpc_operation_name(c->r.interface, q.opnum);
        c->r.operation = op.empty() ? "opnum " + std::to_string(q.opnum) : std::string(op);
        c->r.event = wire::dcerpc_event(c->r.interface, q.opnum);
      }
      c->r.stub_bytes += q.stub.size();
      const std::size_t keep = std::min(q.stub.size(), kKeptStub - c->stub.size());
      c->stub.insert(c->stub.end(), q.stub.begin(),
                     q.stub.begin() + static_cast<std::ptrdiff_t>(keep));
      if (h.flags & wire::dcerpc::kLastFrag) request_complete(*c);
      return;
    }
    case wire::dcerpc::kResponse: {
      std::uint16_t ctx = 0;
      ByteView stub;
      if (client || !wire::dcerpc_response(p, h, ctx, stub)) return;
      Call* c = call(h.call_id, 0);
      if (c == nullptr) return;
      const std::size_t keep = std::min(stub.size(), kKeptAnswer - c->answer.size());
      c->answer.insert(c->answer.end(), stub.begin(),
                       stub.begin() + static_cast<std::ptrdiff_t>(keep));
      // The last four bytes of the whole answer, however it was cut: what this fragment adds
      // pushes out as many of those kept before.
      const std::size_t n = std::min<std::size_t>(stub.size(), 4);
      std::memmove(c->answer_tail, c->answer_tail + n, 4 - n);
      std::memcpy(c->answer_tail + 4 - n, stub.data() + stub.size() - n, n);
      c->answer_bytes += stub.size();
      if (h.flags & wire::dcerpc::kLastFrag) answered(h.call_id, *c, done);
      return;
    }
    case wire::dcerpc::kFault: {
      std::uint32_t status = 0;
      Call* c = client ? nullptr : call(h.call_id, 0);
      if (c == nullptr || !wire::dcerpc_fault(p, h, status)) return;
      if (!c->request_done) request_complete(*c);
      c->r.status = "fault " + status_text(status);
      done.push_back(std::move(c->r));
      calls_.erase(h.call_id);
      return;
    }
    default:
      return;
  }
}

// The request's arguments, read once it is whole: svcctl's service and command line.
void PipeCalls::request_complete(Call& c) {
  c.request_done = true;
  if (c.r.interface != "svcctl") return;
  const ByteView stub(c.stub.data(), c.stub.size());
  wire::SvcctlCall s;
  if (wire::svcctl_request(static_cast<std::uint16_t>(c.r.opnum), stub, s)) {
    c.r.service = s.service;
    c.r.command = s.command;
  }
  Handle used;
  const std::uint64_t op = c.r.opnum;
  const bool acts_on_service = op == 1 || op == 2 || op == 11 || op == 19 || op == 23 || op == 31;
  if (acts_on_service && wire::svcctl_handle_used(stub, used)) {
    if (auto it = services_.find(used); it != services_.end()) c.r.service = it->second;
  }
}

void PipeCalls::answered(std::uint32_t id, Call& c, std::vector<records::DceRpcRecord>& done) {
  if (!c.request_done) request_complete(c);
  if (c.answer_bytes >= 4) {
    std::uint32_t code = 0;
    for (int i = 3; i >= 0; --i) code = code << 8 | c.answer_tail[i];
    c.r.status = status_text(code);
  }
  Handle returned;
  if (c.r.interface == "svcctl" && !c.r.service.empty() &&
      wire::svcctl_handle_returned(static_cast<std::uint16_t>(c.r.opnum),
                                   ByteView(c.answer.data(), c.answer.size()), returned)) {
    if (services_.size() >= kMaxServices) services_.erase(services_.begin());
    services_[returned] = c.r.service;
  }
  done.push_back(std::move(c.r));
  calls_.erase(id);
}

}  // namespace kagami::analyzers

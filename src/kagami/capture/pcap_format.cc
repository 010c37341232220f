#include "kagami/capture/pcap_format.h"

namespace kagami::capture {

int dlt_to_linktype(int dlt) {
  switch (dlt) {
    case 12:
    case 14:
      return 101;  // DLT_RAW -> LINKTYPE_RAW
    case 15:
      return 102;  // DLT_SLIP_BSDOS
    case 16:
      return 103;  // DLT_PPP_BSDOS
    case 19:
      return 106;  // DLT_ATM_CLIP (Linux)
    default:
      return dlt;
  }
}

}  // namespace kagami::capture

// The ATAPI CD-ROM's packet commands (SFF-8020i, MMC-3): a 12-byte command packet goes in
// through the data port after PACKET (A0h); data comes back in DRQ chunks no larger than the
// byte count limit the host put in LBA mid/high, or by bus-master DMA when the Features
// register's DMA bit is set. Errors leave sense data (key/ASC/ASCQ) for REQUEST SENSE.
#include <algorithm>

#include "core/guest_log.h"
#include "devices/ide/ide_channel.h"

namespace emu {

namespace {

using namespace ata_status;

constexpr u32 kCdSector = 2048;
constexpr u64 kCdMaxSectors = 360000;  // 80 minutes of CD: larger media are DVDs
constexpr u32 kMaxPioChunk = 0xFFFE;
// Interrupt reason (the Sector Count register during PACKET): CoD bit 0, IO bit 1.
constexpr u8 kReasonCommand = 0x01, kReasonToHost = 0x02;
// Sense keys (SPC-3 §4.5.6).
constexpr u8 kNotReady = 0x02, kMediumError = 0x03, kIllegalRequest = 0x05, kUnitAttention = 0x06;

u16 be16(const u8* p) { return static_cast<u16>(p[0] << 8 | p[1]); }
u32 be32(const u8* p) { return static_cast<u32>(be16(p)) << 16 | be16(p + 2); }
void put16(std::vector<u8>& v, size_t at, u16 x) { v[at] = static_cast<u8>(x >> 8), v[at + 1] = static_cast<u8>(x); }
void put32(std::vector<u8>& v, size_t at, u32 x) {
  put16(v, at, static_cast<u16>(x >> 16)), put16(v, at + 2, static_cast<u16>(x));
}

// An address in the TOC: an LBA, or minutes/seconds/frames (75 frames a second, 2 s lead-in).
void put_address(std::vector<u8>& v, size_t at, u32 lba, bool msf) {
  if (!msf) return put32(v, at, lba);
  const u32 frames = lba + 150;
  v[at] = 0;
  v[at + 1] = static_cast<u8>(frames / (75 * 60));
  v[at + 2] = static_cast<u8>((frames / 75) % 60);
  v[at + 3] = static_cast<u8>(frames % 75);
}

void put_text(std::vector<u8>& v, size_t at, size_t width, const char* text) {
  for (size_t k = 0; k < width; ++k) v[at + k] = *text ? static_cast<u8>(*text++) : ' ';
}

}  // namespace

void PiixIde::packet_command(Channel& c) {
  std::copy_n(c.buffer.begin(), 12, c.packet.begin());
  c.phase = Channel::Phase::Idle;
  atapi_execute(c, c.selected());
}

void PiixIde::atapi_done(Channel& c, IdeDevice&) {
  c.phase = Channel::Phase::Idle;
  c.error = 0;
  c.nsector = kReasonCommand | kReasonToHost;  // command complete
  c.status = kReady | kSeekDone;
  raise_irq(c);
}

void PiixIde::atapi_error(Channel& c, IdeDevice& d, u8 key, u8 asc, u8 ascq) {
  d.sense_key = key, d.asc = asc, d.ascq = ascq;
  ++d.errors;
  c.phase = Channel::Phase::Idle;
  c.error = static_cast<u8>(key << 4);
  c.nsector = kReasonCommand | kReasonToHost;
  c.status = kReady | kError;
  raise_irq(c);
}

// The data phase of a reply held in `data`, cut to the host's allocation length.
void PiixIde::atapi_reply(Channel& c, IdeDevice& d, const std::vector<u8>& data, u32 allocation) {
  c.buffer = data;
  c.buffer.resize(std::min<size_t>(data.size(), allocation));
  if (c.buffer.empty()) return atapi_done(c, d);
  if (c.feature & 0x01) {  // DMA
    c.dma_from_medium = false;
    c.dma_offset = 0;
    return start_dma(c, true, c.buffer.size());
  }
  c.atapi_from_medium = false;
  c.atapi_offset = 0;
  c.atapi_remaining = c.buffer.size();
  atapi_send_next_chunk(c);
}

void PiixIde::atapi_read(Channel& c, IdeDevice& d, u64 lba, u32 blocks) {
  const u64 total = d.medium->size() / kCdSector;
  if (lba > total || blocks > total - lba) return atapi_error(c, d, kIllegalRequest, 0x21);  // LBA out of range
  if (blocks == 0) return atapi_done(c, d);
  if (c.feature & 0x01) {
    c.dma_from_medium = true;
    c.dma_offset = lba * kCdSector;
    return start_dma(c, true, u64{blocks} * kCdSector);
  }
  c.atapi_from_medium = true;
  c.atapi_offset = lba * kCdSector;
  c.atapi_remaining = u64{blocks} * kCdSector;
  atapi_send_next_chunk(c);
}

// One DRQ chunk: at most the byte count limit (even, except for the last chunk; a limit of 0
// counts as FFFEh), announced in LBA mid/high with the interrupt reason "data to host".
void PiixIde::atapi_send_next_chunk(Channel& c) {
  IdeDevice& d = c.selected();
  if (c.atapi_remaining == 0) return atapi_done(c, d);
  u32 limit = c.atapi_limit ? c.atapi_limit : kMaxPioChunk;
  if (limit > c.atapi_remaining)
    limit = static_cast<u32>(c.atapi_remaining);
  else
    limit &= ~1u;
  if (limit == 0) limit = static_cast<u32>(std::min<u64>(c.atapi_remaining, 2));
  const u32 chunk = std::min(limit, kMaxPioChunk + 1);
  if (c.atapi_from_medium) {
    c.buffer.resize(chunk);
    if (!d.medium || d.medium->read(c.atapi_offset, c.buffer) != BlockStatus::Ok)
      return atapi_error(c, d, kMediumError, 0x11);  // UNRECOVERED READ ERROR
    c.pos = 0;
    c.end = chunk;
  } else {
    c.pos = static_cast<u32>(c.atapi_offset);
    c.end = c.pos + chunk;
  }
  c.atapi_offset += chunk;
  c.atapi_remaining -= chunk;
  c.lcyl = static_cast<u8>(chunk);
  c.hcyl = static_cast<u8>(chunk >> 8);
  c.nsector = kReasonToHost;
  c.phase = Channel::Phase::PioIn;
  c.status = kReady | kDataRequest;
  raise_irq(c);
}

// A pending medium change is reported once (UNIT ATTENTION, MEDIUM MAY HAVE CHANGED) to the
// first command that is not INQUIRY, REQUEST SENSE or GET EVENT STATUS NOTIFICATION (MMC-3
// §4.1.6); commands that need the medium fail with NOT READY, MEDIUM NOT PRESENT without one.
bool PiixIde::atapi_medium_ready(Channel& c, IdeDevice& d, u8 opcode) {
  const bool reports_attention = opcode != 0x12 && opcode != 0x03 && opcode != 0x4A && opcode != 0x46;
  if (d.unit_attention && reports_attention) {
    d.unit_attention = false;
    atapi_error(c, d, kUnitAttention, 0x28);
    return false;
  }
  static constexpr u8 kNeedsMedium[] = {0x00, 0x25, 0x28, 0xA8, 0x43, 0x2B, 0xBE, 0x51};
  if (!d.medium && std::find(std::begin(kNeedsMedium), std::end(kNeedsMedium), opcode) != std::end(kNeedsMedium)) {
    atapi_error(c, d, kNotReady, 0x3A);
    return false;
  }
  return true;
}

void PiixIde::atapi_execute(Channel& c, IdeDevice& d) {
  const auto& p = c.packet;
  const u8 opcode = p[0];
  if (!atapi_medium_ready(c, d, opcode)) return;
  const u64 total = d.medium ? d.medium->size() / kCdSector : 0;
  const bool dvd = total > kCdMaxSectors;
  switch (opcode) {
    case 0x00:  // TEST UNIT READY
    case 0x2B:  // SEEK(10)
    case 0xBB:  // SET CD SPEED
      return atapi_done(c, d);
    case 0x03: {  // REQUEST SENSE: fixed-format sense data, then the sense is cleared
      std::vector<u8> r(18, 0);
      r[0] = 0x70;
      r[2] = d.sense_key;
      r[7] = 10;
      r[12] = d.asc;
      r[13] = d.ascq;
      d.sense_key = d.asc = d.ascq = 0;
      return atapi_reply(c, d, r, p[4]);
    }
    case 0x12: {  // INQUIRY: a removable CD-ROM answering in the ATAPI response format
      if (p[1] & 0x01) return atapi_error(c, d, kIllegalRequest, 0x24);  // no vital product data
      std::vector<u8> r(36, 0);
      r[0] = 0x05;
      r[1] = 0x80;
      r[3] = 0x21;
      r[4] = 31;
      put_text(r, 8, 8, "EMU");
      put_text(r, 16, 16, d.model.c_str());
      put_text(r, 32, 4, "0.1");
      return atapi_reply(c, d, r, be16(&p[3]));
    }
    case 0x1B: {  // START STOP UNIT: LoEj with Start clear ejects, refused while locked
      const bool load_eject = p[4] & 0x02, start = p[4] & 0x01;
      if (load_eject && !start) {
        if (d.locked) return atapi_error(c, d, kIllegalRequest, 0x53, 0x02);  // MEDIUM REMOVAL PREVENTED
        if (d.medium) d.media_event = 3;
        d.medium.reset();
      }
      return atapi_done(c, d);
    }
    case 0x1E:  // PREVENT ALLOW MEDIUM REMOVAL
      d.locked = p[4] & 0x01;
      return atapi_done(c, d);
    case 0x25: {  // READ CAPACITY: the last LBA and the block size
      std::vector<u8> r(8, 0);
      put32(r, 0, static_cast<u32>(total - 1));
      put32(r, 4, kCdSector);
      return atapi_reply(c, d, r, 8);
    }
    case 0x28:  // READ(10)
      return atapi_read(c, d, be32(&p[2]), be16(&p[7]));
    case 0xA8:  // READ(12)
      return atapi_read(c, d, be32(&p[2]), be32(&p[6]));
    case 0xBE: {  // READ CD: user data only (or nothing) from mode 1 sectors
      const u32 blocks = u32{p[6]} << 16 | u32{p[7]} << 8 | p[8];
      if (p[9] == 0) return atapi_done(c, d);
      if ((p[9] & 0xF8) != 0x10) return atapi_error(c, d, kIllegalRequest, 0x24);
      return atapi_read(c, d, be32(&p[2]), blocks);
    }
    case 0x43: {  // READ TOC/PMA/ATIP: one data track, formats 0 (TOC), 1 (sessions), 2 (raw TOC)
      const bool msf = p[1] & 0x02;
      u8 format = p[2] & 0x0F;
      if (format == 0 && (p[9] >> 6)) format = p[9] >> 6;  // SFF-8020i put it in the control byte
      const u8 track = p[6];
      std::vector<u8> r;
      if (format == 0) {
        if (track > 1 && track != 0xAA) return atapi_error(c, d, kIllegalRequest, 0x24);
        r.assign(4, 0);
        r[2] = r[3] = 1;
        auto descriptor = [&](u8 number, u32 lba) {
          const size_t at = r.size();
          r.resize(at + 8, 0);
          r[at + 1] = 0x14;  // ADR 1, control: data track
          r[at + 2] = number;
          put_address(r, at + 4, lba, msf);
        };
        if (track <= 1) descriptor(1, 0);
        descriptor(0xAA, static_cast<u32>(total));  // the lead-out
      } else if (format == 1) {
        r.assign(12, 0);
        r[2] = r[3] = 1;
        r[5] = 0x14;
        r[6] = 1;
        put_address(r, 8, 0, msf);
      } else if (format == 2) {
        r.assign(4, 0);
        r[2] = r[3] = 1;
        auto point = [&](u8 point, u8 pmin, u8 psec, u8 pframe) {
          const size_t at = r.size();
          r.resize(at + 11, 0);
          r[at] = 1;  // session
          r[at + 1] = 0x14;
          r[at + 3] = point;
          r[at + 8] = pmin, r[at + 9] = psec, r[at + 10] = pframe;
        };
        std::vector<u8> leadout(4, 0);
        put_address(leadout, 0, static_cast<u32>(total), true);
        point(0xA0, 1, 0, 0);  // first track, disc type CD-ROM
        point(0xA1, 1, 0, 0);  // last track
        point(0xA2, leadout[1], leadout[2], leadout[3]);
        point(1, 0, 2, 0);
      } else {
        return atapi_error(c, d, kIllegalRequest, 0x24);
      }
      put16(r, 0, static_cast<u16>(r.size() - 2));
      return atapi_reply(c, d, r, be16(&p[7]));
    }
    case 0x46: {  // GET CONFIGURATION: profiles (DVD-ROM, CD-ROM), core, morphing, removable
      const u8 rt = p[1] & 0x03;
      const u16 start = be16(&p[2]);
      const u16 current = d.medium ? (dvd ? 0x0010 : 0x0008) : 0;
      std::vector<u8> r(8, 0);
      put16(r, 6, current);
      auto feature = [&](u16 code, bool is_current, std::vector<u8> body) {
        if (rt == 2 ? code != start : (code < start || (rt == 1 && !is_current))) return;
        const size_t at = r.size();
        r.resize(at + 4 + body.size(), 0);
        put16(r, at, code);
        r[at + 2] = static_cast<u8>(0x02 | (is_current ? 0x01 : 0));  // persistent, current
        r[at + 3] = static_cast<u8>(body.size());
        std::copy(body.begin(), body.end(), r.begin() + static_cast<std::ptrdiff_t>(at + 4));
      };
      feature(0x0000, true, {0x00, 0x10, u8(current == 0x10), 0, 0x00, 0x08, u8(current == 0x08), 0});
      feature(0x0001, true, {0, 0, 0, 2, 0, 0, 0, 0});  // core: ATAPI
      feature(0x0002, true, {0x02, 0, 0, 0});           // morphing: OCEvent
      feature(0x0003, true, {0x29, 0, 0, 0});           // removable: tray, eject, lock
      put32(r, 0, static_cast<u32>(r.size() - 4));
      return atapi_reply(c, d, r, be16(&p[7]));
    }
    case 0x4A: {  // GET EVENT STATUS NOTIFICATION (polled only): media events
      if (!(p[1] & 0x01)) return atapi_error(c, d, kIllegalRequest, 0x24);
      std::vector<u8> r;
      if (p[4] & 0x10) {
        r.assign(8, 0);
        put16(r, 0, 6);
        r[2] = 0x04;  // media class
        r[3] = 0x10;  // supported: media
        r[4] = d.media_event;
        r[5] = d.medium ? 0x02 : 0x00;
        d.media_event = 0;
      } else {
        r.assign(4, 0);
        put16(r, 0, 2);
        r[2] = 0x80;  // no event available
        r[3] = 0x10;
      }
      return atapi_reply(c, d, r, be16(&p[7]));
    }
    case 0x5A: {  // MODE SENSE(10): pages 01h (error recovery), 2Ah (capabilities), 3Fh (all)
      const u8 control = p[2] >> 6, page = p[2] & 0x3F;
      if (control == 3) return atapi_error(c, d, kIllegalRequest, 0x39);  // saving not supported
      std::vector<u8> r(8, 0);
      r[2] = d.medium ? 0x01 : 0x70;  // medium type: 120 mm data disc, or door closed and empty
      const bool changeable = control == 1;
      if (page == 0x01 || page == 0x3F) {
        const u8 body[] = {0x01, 0x06, 0, u8(changeable ? 0 : 5), 0, 0, 0, 0};
        for (const u8 b : body) r.push_back(b);
      }
      if (page == 0x2A || page == 0x3F) {
        std::vector<u8> caps(20, 0);
        caps[0] = 0x2A;
        caps[1] = 18;
        if (!changeable) {
          caps[2] = 0x3B;  // reads CD-R, CD-RW, method 2, DVD-ROM
          caps[4] = 0x71;
          caps[5] = 0x60;
          caps[6] = static_cast<u8>(0x29 | (d.locked ? 0x02 : 0));  // tray, eject, lock (state)
          put16(caps, 8, 706);                                      // 4x, in kB/s
          put16(caps, 10, 2);
          put16(caps, 12, 512);
          put16(caps, 14, 706);
        }
        r.insert(r.end(), caps.begin(), caps.end());
      }
      if (r.size() == 8) return atapi_error(c, d, kIllegalRequest, 0x24);
      put16(r, 0, static_cast<u16>(r.size() - 2));
      return atapi_reply(c, d, r, be16(&p[7]));
    }
    case 0xBD: {  // MECHANISM STATUS: no changer, no slots
      std::vector<u8> r(8, 0);
      return atapi_reply(c, d, r, be16(&p[8]));
    }
    case 0x51: {  // READ DISC INFORMATION: a finalized single-session disc
      std::vector<u8> r(34, 0);
      put16(r, 0, 32);
      r[2] = 0x0E;  // last session complete, disc complete
      r[3] = r[4] = r[5] = r[6] = 1;
      return atapi_reply(c, d, r, be16(&p[7]));
    }
    default:
      GuestLog::instance().log("ide", "%s: packet command %02xh not implemented", d.name.c_str(), opcode);
      return atapi_error(c, d, kIllegalRequest, 0x20);  // INVALID COMMAND OPERATION CODE
  }
}

}  // namespace emu

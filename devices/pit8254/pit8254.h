// The Intel 8254 Programmable Interval Timer (ports 0x40-0x43) and the PC's System Control
// Port B at 0x61 (the PIIX3's NMI Status and Control register), which gates channel 2 and
// enables the speaker.
//
// Reference: Intel 82C54 CHMOS Programmable Interval Timer datasheet (order no. 231244), and the
// Intel 82371SB PIIX3 datasheet §4.7.2 (NMISC, port 0x61). Compare QEMU's hw/timer/i8254.c.
//
// The three channels count a 1.193182 MHz clock (CLK, a third of the PC's 14.31818 MHz
// crystal). CLK is free running: its edges sit at fixed virtual times, edge k at ceil(k * 1e9 /
// 1193182) ns. A channel is not stepped tick by tick; its counting element (CE) and OUT are
// computed from the number of CLK edges since the count was loaded. Only channel 0, whose OUT
// drives IRQ 0, puts events on the timeline, and only at the edges where OUT changes.
//
// PC wiring: channel 0 OUT -> IRQ 0 (gate tied high); channel 1 -> DRAM refresh request (gate
// tied high, OUT unconnected here); channel 2 -> the speaker, GATE from port 0x61 bit 0, OUT
// readable at port 0x61 bit 5.
#pragma once
#include <array>
#include <functional>
#include <optional>
#include <string>

#include "core/timeline.h"
#include "devices/byte_port_device.h"

namespace emu {

class StateVisitor;

// One counter's registers (82C54 datasheet, "Block Diagram": CR, CE, OL, status latch, control).
struct Pit8254ChannelState {
  u16 count_register = 0;  // CR: the count the guest last wrote (raw, BCD when bcd is set)
  u16 active_count = 0;    // the count the CE is working with (CR as of the last load)
  u8 control = 0x30;       // RW1 RW0 M2 M1 M0 BCD of the last control word, for the status byte
                           // (the power-on state is undefined; this matches the fields below)
  u8 mode = 0;             // 0-5 (modes 6 and 7 are modes 2 and 3)
  bool bcd = false;
  u8 access = 3;                // RW: 1 = LSB only, 2 = MSB only, 3 = LSB then MSB
  bool gate = true;             // GATE input level
  bool have_count = false;      // a count was written since the control word
  bool started = false;         // the counting sequence has begun (count written / triggered)
  bool paused = false;          // GATE low holds the CE (modes 0, 2, 3, 4)
  u64 origin_tick = 0;          // the CLK edge at which the count was written or triggered
  u64 paused_edges = 0;         // edges counted before a pause (modes 0 and 4)
  u32 stale_count = 0;          // what the CE reads before the next load (binary value)
  bool null_count = true;       // CR written and not yet loaded into the CE
  bool reload_pending = false;  // modes 2/3: a new count waits for the end of the cycle
  u64 reload_tick = 0;          // the edge at which it is loaded
  // Access state.
  bool write_msb_next = false;  // LSB-then-MSB write flip-flop
  u8 write_lsb = 0;
  bool read_msb_next = false;  // LSB-then-MSB read flip-flop
  bool count_latched = false;  // OL holds a latched count
  u16 latched_count = 0;
  bool latched_msb_next = false;
  bool status_latched = false;
  u8 status_latch = 0;
};

struct Pit8254State {
  std::array<Pit8254ChannelState, 3> channel;
  bool speaker_data = false;  // port 0x61 bit 1: SPKR_DAT_EN
  u8 nmi_enables = 0;         // port 0x61 bits 2-3: PCI SERR# and IOCHK# NMI enables (stored)
  bool irq0_level = false;    // channel 0 OUT as last reported to IRQ 0
};

class Pit8254 final : public BytePortDevice {
 public:
  static constexpr u16 kChannel0 = 0x40, kControl = 0x43, kPortB = 0x61;
  static constexpr u64 kClockHz = 1'193'182;

  explicit Pit8254(Timeline& timeline);
  ~Pit8254() override;

  // IRQ 0: driven with channel 0's OUT.
  void set_irq0(std::function<void(bool level)> irq0) { irq0_ = std::move(irq0); }
  // A GATE input (channel 2's comes from port 0x61; the board ties 0 and 1 high).
  void set_gate(unsigned channel, bool level);

  // Current OUT level and CE value of a channel (debugger view, tests, the speaker).
  bool out(unsigned channel) const;
  u16 counter(unsigned channel) const;
  // The speaker is driven when port 0x61 enables it and channel 2 OUT is high.
  bool speaker_output() const { return state_.speaker_data && out(2); }

  void reset();
  void serialize(StateVisitor& v);
  std::string describe() const;
  const Pit8254State& state() const { return state_; }

  // The CLK edge count at a virtual time, and the time of an edge.
  static u64 tick_at(u64 ns);
  static u64 ns_of_tick(u64 tick);

 protected:
  bool decodes(u16 port) const override;
  u8 read_byte(u16 port) override;
  void write_byte(u16 port, u8 value) override;

 private:
  u64 now_tick() const { return tick_at(timeline_.now()); }
  void write_control(u8 value);
  void read_back(u8 value);
  void latch_count(unsigned c);
  void write_count(unsigned c, u8 value);
  void load_count(unsigned c);
  u8 read_counter(unsigned c);
  u8 read_port_b() const;
  void write_port_b(u8 value);
  // Applies a deferred mode-2/3 reload whose edge has passed.
  void catch_up(unsigned c, u64 tick);
  // Re-evaluates channel 0 OUT for IRQ 0 and schedules the event for its next change.
  void update_irq0();
  void irq0_event(u64 deadline_ns);

  Timeline& timeline_;
  Pit8254State state_;
  Timeline::EventId irq0_event_ = 0;
  std::function<void(bool)> irq0_;
};

}  // namespace emu

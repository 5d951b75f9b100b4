// The 16550A UART (COM1 at 0x3F8/IRQ 4, COM2 at 0x2F8/IRQ 3 on the PC; the base port and IRQ
// are the board's choice).
//
// Reference: National Semiconductor (now TI) PC16550D "Universal Asynchronous Receiver/
// Transmitter with FIFOs" datasheet (SNLS378): registers, FIFO trigger levels, the interrupt
// priority table (Table IV), loopback ("diagnostic") mode. Compare QEMU's hw/char/serial.c.
//
// Transmit is paced by virtual time: a character written to THR moves into the transmitter
// shift register (TSR) and leaves the TX pin one character time later (start + data + parity +
// stop bits at 1.8432 MHz / 16 / divisor), which is when the backend receives it. THRE and its
// interrupt come when the holding register/FIFO empties, TEMT when the TSR is done too — the
// behaviour Linux's 8250 driver relies on (it refills the FIFO on each THRE interrupt). The
// receiver takes what the backend delivers at once; the backend asks rx_space() first.
//
// PC wiring: the IRQ pin reaches the PIC only while MCR.OUT2 is set (the "OUT2 gate" every PC
// serial driver sets), and not in loopback mode, where the chip forces OUT2 inactive.
#pragma once
#include <array>
#include <functional>
#include <string>

#include "core/timeline.h"
#include "devices/byte_port_device.h"

namespace emu {

class StateVisitor;

// Where the serial line goes: stdio, a file, a socket, a test.
class SerialBackend {
 public:
  virtual ~SerialBackend() = default;
  // A character left the TX pin.
  virtual void transmit(u8 byte) = 0;
  // DTR/RTS changed (MCR outside loopback); most backends ignore it.
  virtual void modem_control(bool /*dtr*/, bool /*rts*/) {}
};

struct Uart16550State {
  u8 ier = 0;                // IER: ERBFI, ETBEI, ELSI, EDSSI (bits 0-3)
  u8 lcr = 0;                // LCR: word length, stop bits, parity, break, DLAB
  u8 mcr = 0;                // MCR: DTR, RTS, OUT1, OUT2, LOOP (bits 0-4)
  u8 fcr = 0;                // FCR as programmed: FIFO enable, DMA mode, RX trigger (write-only register)
  u8 scr = 0;                // SCR: scratch
  u16 divisor = 12;          // DLL/DLM (9600 baud until the guest sets it)
  u8 lsr_sticky = 0;         // LSR.OE, cleared by reading LSR
  u8 msr_deltas = 0;         // MSR bits 0-3: DCTS, DDSR, TERI, DDCD
  u8 modem_lines = 0xB0;     // MSR bits 4-7 as the chip sees them now: CTS, DSR, RI, DCD
  u8 external_lines = 0xB0;  // the modem inputs from the backend (CTS, DSR and DCD asserted)
  // Receiver FIFO (one entry deep in 16450 mode) with each character's error bits (BI).
  std::array<u8, 16> rx{};
  std::array<u8, 16> rx_errors{};
  u8 rx_head = 0, rx_count = 0;
  u64 rx_activity_ns = 0;  // last character in or out of the RX FIFO (character timeout)
  // Transmitter FIFO (THR in 16450 mode) and shift register.
  std::array<u8, 16> tx{};
  u8 tx_head = 0, tx_count = 0;
  bool tsr_busy = false;
  u8 tsr = 0;
  u64 tsr_done_ns = 0;         // when the character in the TSR has been shifted out
  bool thr_interrupt = false;  // THRE interrupt pending (cleared by IIR read or THR write)
  // FIFO mode's delayed "transmitter FIFO empty" (PC16550D, FIFO Interrupt Mode Operation, B):
  // if the FIFO never held two bytes since THRE was last 1, THRE shows one character time
  // minus a stop bit after the FIFO empties.
  bool tx_fifo_held_two = false;
  bool thre_delayed = false;
  u64 thre_visible_ns = 0;
  bool irq_level = false;
};

class Uart16550 final : public BytePortDevice {
 public:
  static constexpr u16 kCom1Base = 0x3F8, kCom2Base = 0x2F8;
  static constexpr unsigned kCom1Irq = 4, kCom2Irq = 3;
  static constexpr unsigned kFifoSize = 16;
  static constexpr u64 kClockHz = 1'843'200;  // the PC's UART crystal

  Uart16550(Timeline& timeline, u16 base, unsigned irq);
  ~Uart16550() override;

  u16 base() const { return base_; }
  unsigned irq_line() const { return irq_; }
  void set_irq(std::function<void(bool level)> irq) { irq_out_ = std::move(irq); }
  void set_backend(SerialBackend* backend) { backend_ = backend; }

  // Receiver input from the backend. How many characters the RX FIFO can take now (0 in
  // loopback, where the RX pin is disconnected); a character beyond that is an overrun.
  unsigned rx_space() const;
  // Returns false when the character was dropped because of loopback.
  bool receive(u8 byte);
  // A break condition on the line: a zero character with BI.
  void receive_break();
  // The modem inputs from the other end.
  void set_modem_inputs(bool cts, bool dsr, bool ri, bool dcd);

  // One character time at the current line settings, in ns.
  u64 character_time_ns() const;
  // Whether transmission takes the programmed baud rate's character time (a real line), or
  // next to none (a virtual line to the host, the PC machine's choice).
  void set_paced(bool paced) { paced_ = paced; }
  static constexpr u64 kFastCharacterNs = 100;

  void reset();
  void serialize(StateVisitor& v);
  std::string describe() const;
  const Uart16550State& state() const { return state_; }

 protected:
  bool decodes(u16 port) const override { return port >= base_ && port < base_ + 8; }
  u8 read_byte(u16 port) override;
  void write_byte(u16 port, u8 value) override;

 private:
  bool fifo_enabled() const { return state_.fcr & 0x01; }
  unsigned fifo_capacity() const { return fifo_enabled() ? kFifoSize : 1; }
  bool loopback() const { return state_.mcr & 0x10; }
  unsigned rx_trigger() const;
  bool character_timeout() const;
  bool line_status_interrupt() const;
  u8 interrupt_id() const;  // IIR bits 3-0
  u8 read_lsr();
  u8 read_rbr();
  void write_thr(u8 value);
  void write_fcr(u8 value);
  void write_ier(u8 value);
  void write_mcr(u8 value);
  void rx_push(u8 byte, u8 errors);
  void clear_rx();
  void set_modem_lines(u8 lines);
  void start_transmit(u64 start_ns);
  // THR/FIFO became (visibly) empty: THRE = 1 and its interrupt.
  void set_thre();
  bool thre() const { return state_.tx_count == 0 && !state_.thre_delayed; }
  // Completes every character whose shift-out time has passed.
  void catch_up();
  void update_irq();
  void rearm();

  Timeline& timeline_;
  const u16 base_;
  const unsigned irq_;
  Uart16550State state_;
  Timeline::EventId event_ = 0;
  SerialBackend* backend_ = nullptr;
  bool paced_ = true;
  std::function<void(bool)> irq_out_;
};

}  // namespace emu

// The ACPI fixed-hardware addresses and values of the PIIX4 power-management function as QEMU's
// `pc` machine presents them. The BIOS's FADT and DSDT and the AcpiPm model both take them from
// here, so the tables always describe the hardware. Plain constants, no other includes: the BIOS
// table builder can include this file on its own.
//
//   FADT field          value                     where it comes from
//   SCI_INT             9                         QEMU piix4_pm_add_properties: sci_int = 9
//   SMI_CMD             0xB2 (APMC)               the PIIX4 APM control port
//   ACPI_ENABLE         0xF1                      QEMU hw/acpi/piix4.c ACPI_ENABLE
//   ACPI_DISABLE        0xF0                      QEMU hw/acpi/piix4.c ACPI_DISABLE
//   PM1a_EVT_BLK        kPmBase + 0, length 4     PM1_STS (2 bytes) then PM1_EN (2 bytes)
//   PM1a_CNT_BLK        kPmBase + 4, length 2
//   PM_TMR_BLK          kPmBase + 8, length 4     24-bit timer (FADT flag TMR_VAL_EXT = 0)
//   GPE0_BLK            0xAFE0, length 4          GPE0_STS (2 bytes) then GPE0_EN (2 bytes)
//   \_S5                Package {0, 0, 0, 0}      SLP_TYP 0 means soft-off on QEMU's PIIX4
// kPmBase is what the BIOS programs into PMBA (function 3, config 0x40) — SeaBIOS's
// PORT_ACPI_PM_BASE — and then enables with PMREGMISC bit 0.
#pragma once
#include <cstdint>

namespace emu::acpi_pm {

inline constexpr std::uint16_t kPmBase = 0x600;
inline constexpr std::uint16_t kPmBlockSize = 64;  // PMBA decodes 64 bytes (bits 15:6)

inline constexpr std::uint16_t kPm1EventBlock = kPmBase + 0x00;
inline constexpr std::uint8_t kPm1EventLength = 4;
inline constexpr std::uint16_t kPm1ControlBlock = kPmBase + 0x04;
inline constexpr std::uint8_t kPm1ControlLength = 2;
inline constexpr std::uint16_t kPmTimerBlock = kPmBase + 0x08;
inline constexpr std::uint8_t kPmTimerLength = 4;

inline constexpr std::uint16_t kGpe0Block = 0xAFE0;
inline constexpr std::uint8_t kGpe0Length = 4;

inline constexpr std::uint16_t kSmiCommandPort = 0xB2;  // APMC; APMS (scratch) is 0xB3
inline constexpr std::uint8_t kAcpiEnable = 0xF1;
inline constexpr std::uint8_t kAcpiDisable = 0xF0;

inline constexpr unsigned kSciIrq = 9;  // level triggered, active high on the 8259 (ELCR bit 9)

// SLP_TYP values (PM1_CNT bits 12:10) the DSDT's \_Sx packages hand to the OS. Only S5 has an
// effect here: the machine powers off.
inline constexpr std::uint8_t kSlpTypS5 = 0;

// The ACPI PM timer's clock (ACPI 1.0+ §4.7.3.3: 3.579545 MHz, a quarter of the PC's 14.31818 MHz
// crystal).
inline constexpr std::uint64_t kPmTimerHz = 3'579'545;

}  // namespace emu::acpi_pm

// Package models mirrors the vmango 0.6 model types that its XML templates see.
package models

import (
	"strings"
	"time"
)

type HWArch int

const (
	ARCH_UNKNOWN HWArch = 0
	ARCH_X86_64  HWArch = 1
	ARCH_X86     HWArch = 4
)

func (a HWArch) String() string {
	switch a {
	case ARCH_X86_64:
		return "x86_64"
	case ARCH_X86:
		return "x86"
	}
	return "unknown"
}

func ParseHWArch(s string) HWArch {
	switch s {
	case "x86_64", "amd64":
		return ARCH_X86_64
	case "x86", "i386":
		return ARCH_X86
	}
	return ARCH_UNKNOWN
}

const (
	STATE_RUNNING = 0
	STATE_STOPPED = 1
	STATE_UNKNOWN = 2
)

type SSHKey struct {
	Name   string
	Public string
}

type IP struct {
	Address string
	Gateway string
	Netmask int
	UsedBy  string
}

type VirtualMachineDisk struct {
	Size   uint64
	Driver string
	Type   string
}

func (d *VirtualMachineDisk) SizeGigabytes() int { return int(d.Size / 1024 / 1024 / 1024) }

type VirtualMachine struct {
	Id       string
	Name     string
	Plan     string
	Creator  string
	Userdata string
	OS       string
	Arch     HWArch
	State    int
	Memory   int
	Cpus     int
	ImageId  string
	Ip       *IP
	HWAddr   string
	VNCAddr  string
	RootDisk *VirtualMachineDisk
	SSHKeys  []*SSHKey
}

func (v *VirtualMachine) StateName() string {
	switch v.State {
	case STATE_RUNNING:
		return "running"
	case STATE_STOPPED:
		return "stopped"
	}
	return "unknown"
}
func (v *VirtualMachine) IsRunning() bool      { return v.State == STATE_RUNNING }
func (v *VirtualMachine) MemoryMegabytes() int { return v.Memory / 1024 / 1024 }
func (v *VirtualMachine) HasUserdata() bool    { return v.Userdata != "" }
func (v *VirtualMachine) String() string       { return v.Name }

const (
	IMAGE_FMT_UNKNOWN = 0
	IMAGE_FMT_RAW     = 1
	IMAGE_FMT_QCOW2   = 2
)

type Image struct {
	Id       string
	OS       string
	Arch     HWArch
	Size     uint64
	Type     int
	Date     time.Time
	PoolName string
}

func (i *Image) OSName() string { return strings.Split(i.OS, "-")[0] }

// OSVersion panics in vmango 0.6 when OS has no "-"; the TypeScript port returns "" instead,
// so the corpus only uses OS values with a "-".
func (i *Image) OSVersion() string  { return strings.Split(i.OS, "-")[1] }
func (i *Image) SizeMegabytes() int { return int(i.Size / 1024 / 1024) }
func (i *Image) TypeString() string {
	switch i.Type {
	case IMAGE_FMT_RAW:
		return "raw"
	case IMAGE_FMT_QCOW2:
		return "qcow2"
	}
	return "unknown"
}

type Plan struct {
	Name     string
	Memory   int
	Cpus     int
	DiskSize int
}

func (p *Plan) MemoryMegabytes() int   { return p.Memory / 1024 / 1024 }
func (p *Plan) DiskSizeGigabytes() int { return p.DiskSize / 1024 / 1024 / 1024 }

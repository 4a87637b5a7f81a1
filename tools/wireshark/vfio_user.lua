-- SPDX-License-Identifier: BSD-3-Clause
--
-- Wireshark dissector for vfio-user messages, as vuc-trace --pcap writes
-- them: one packet per message (the 16-byte header and its payload), link
-- type LINKTYPE_USER0, the direction in the packet flags (outbound: client
-- to server), and "fds=N chan=main|twin" in the packet comment.
--
--   wireshark -X lua_script:tools/wireshark/vfio_user.lua capture.pcapng
--   tshark -X lua_script:tools/wireshark/vfio_user.lua -r capture.pcapng -V
--
-- It decodes the header and the common commands; the wire format is the
-- vfio-user specification's (little-endian on every host that speaks it).

local vfio_user = Proto("vfio_user", "vfio-user")

local commands = {
    [1] = "VERSION", [2] = "DMA_MAP", [3] = "DMA_UNMAP",
    [4] = "DEVICE_GET_INFO", [5] = "DEVICE_GET_REGION_INFO",
    [6] = "DEVICE_GET_REGION_IO_FDS", [7] = "DEVICE_GET_IRQ_INFO",
    [8] = "DEVICE_SET_IRQS", [9] = "REGION_READ", [10] = "REGION_WRITE",
    [11] = "DMA_READ", [12] = "DMA_WRITE", [13] = "DEVICE_RESET",
    [14] = "DIRTY_PAGES", [15] = "REGION_WRITE_MULTI",
    [16] = "DEVICE_FEATURE", [17] = "MIG_DATA_READ", [18] = "MIG_DATA_WRITE",
}
local types = { [0] = "command", [1] = "reply" }
local regions = {
    [0] = "BAR0", [1] = "BAR1", [2] = "BAR2", [3] = "BAR3", [4] = "BAR4",
    [5] = "BAR5", [6] = "ROM", [7] = "CONFIG", [8] = "VGA",
}
local irqs = { [0] = "INTX", [1] = "MSI", [2] = "MSIX", [3] = "ERR", [4] = "REQ" }

local f = vfio_user.fields
f.msg_id = ProtoField.uint16("vfio_user.msg_id", "Message ID", base.DEC)
f.cmd = ProtoField.uint16("vfio_user.cmd", "Command", base.DEC, commands)
f.msg_size = ProtoField.uint32("vfio_user.msg_size", "Message size", base.DEC)
f.flags = ProtoField.uint32("vfio_user.flags", "Flags", base.HEX)
f.type = ProtoField.uint32("vfio_user.type", "Type", base.DEC, types, 0xf)
f.no_reply = ProtoField.bool("vfio_user.no_reply", "No reply", 32, nil, 0x10)
f.error = ProtoField.bool("vfio_user.error", "Error", 32, nil, 0x20)
f.errno = ProtoField.uint32("vfio_user.errno", "Error number", base.DEC)
f.fds = ProtoField.uint32("vfio_user.fds", "File descriptors", base.DEC)
f.chan = ProtoField.string("vfio_user.chan", "Socket")
f.major = ProtoField.uint16("vfio_user.major", "Major", base.DEC)
f.minor = ProtoField.uint16("vfio_user.minor", "Minor", base.DEC)
f.json = ProtoField.string("vfio_user.json", "Capabilities")
f.argsz = ProtoField.uint32("vfio_user.argsz", "argsz", base.DEC)
f.arg_flags = ProtoField.uint32("vfio_user.arg_flags", "Flags", base.HEX)
f.address = ProtoField.uint64("vfio_user.address", "Address", base.HEX)
f.size = ProtoField.uint64("vfio_user.size", "Size", base.HEX)
f.fd_offset = ProtoField.uint64("vfio_user.fd_offset", "fd offset", base.HEX)
f.offset = ProtoField.uint64("vfio_user.offset", "Offset", base.HEX)
f.region = ProtoField.uint32("vfio_user.region", "Region", base.DEC, regions)
f.count = ProtoField.uint32("vfio_user.count", "Count", base.DEC)
f.count64 = ProtoField.uint64("vfio_user.count64", "Count", base.DEC)
f.index = ProtoField.uint32("vfio_user.index", "Index", base.DEC)
f.irq = ProtoField.uint32("vfio_user.irq", "Irq index", base.DEC, irqs)
f.start = ProtoField.uint32("vfio_user.start", "Start", base.DEC)
f.num_regions = ProtoField.uint32("vfio_user.num_regions", "Regions", base.DEC)
f.num_irqs = ProtoField.uint32("vfio_user.num_irqs", "Irqs", base.DEC)
f.cap_offset = ProtoField.uint32("vfio_user.cap_offset", "Capability offset", base.DEC)
f.mig_size = ProtoField.uint32("vfio_user.mig_size", "Size", base.DEC)
f.data = ProtoField.bytes("vfio_user.data", "Data")

local ef = vfio_user.experts
ef.short = ProtoExpert.new("vfio_user.short", "Message shorter than its fields",
                           expert.group.MALFORMED, expert.severity.ERROR)
ef.size = ProtoExpert.new("vfio_user.size_mismatch",
                          "msg_size disagrees with the captured length",
                          expert.group.MALFORMED, expert.severity.WARN)

local comment_field = Field.new("frame.comment")

-- Fixed fields, in order, each {field, width}; false when too short.
local function fields(tree, buf, at, list)
    for _, item in ipairs(list) do
        local field, width = item[1], item[2]
        if at + width > buf:len() then
            tree:add_proto_expert_info(ef.short)
            return false, at
        end
        tree:add_le(field, buf(at, width))
        at = at + width
    end
    return true, at
end

local function data(tree, buf, at)
    if at < buf:len() then
        tree:add(f.data, buf(at))
    end
end

-- Payload dissectors by command: (tree, payload, is_reply). Replies that
-- are only a header say nothing more.
local payload = {}

payload[1] = function(t, b)
    local ok, at = fields(t, b, 0, { { f.major, 2 }, { f.minor, 2 } })
    if ok and at < b:len() then
        t:add(f.json, b(at), b(at):stringz())
    end
end
payload[2] = function(t, b, reply)
    if not reply then
        fields(t, b, 0, { { f.argsz, 4 }, { f.arg_flags, 4 }, { f.fd_offset, 8 },
                          { f.address, 8 }, { f.size, 8 } })
    end
end
payload[3] = function(t, b)
    if b:len() > 0 then
        fields(t, b, 0, { { f.argsz, 4 }, { f.arg_flags, 4 }, { f.address, 8 },
                          { f.size, 8 } })
    end
end
payload[4] = function(t, b, reply)
    local list = { { f.argsz, 4 } }
    if reply then
        list = { { f.argsz, 4 }, { f.arg_flags, 4 }, { f.num_regions, 4 },
                 { f.num_irqs, 4 } }
    end
    fields(t, b, 0, list)
end
payload[5] = function(t, b, reply)
    local ok = fields(t, b, 0, { { f.argsz, 4 }, { f.arg_flags, 4 }, { f.region, 4 },
                                 { f.cap_offset, 4 } })
    if ok and reply then
        fields(t, b, 16, { { f.size, 8 }, { f.offset, 8 } })
    end
end
payload[6] = function(t, b)
    fields(t, b, 0, { { f.argsz, 4 }, { f.arg_flags, 4 }, { f.region, 4 },
                      { f.count, 4 } })
end
payload[7] = function(t, b)
    fields(t, b, 0, { { f.argsz, 4 }, { f.arg_flags, 4 }, { f.irq, 4 },
                      { f.count, 4 } })
end
payload[8] = function(t, b, reply)
    if not reply then
        local ok, at = fields(t, b, 0, { { f.argsz, 4 }, { f.arg_flags, 4 },
                                         { f.irq, 4 }, { f.start, 4 }, { f.count, 4 } })
        if ok then
            data(t, b, at)
        end
    end
end
local function region_access(t, b)
    if b:len() > 0 then
        local ok, at = fields(t, b, 0, { { f.offset, 8 }, { f.region, 4 },
                                         { f.count, 4 } })
        if ok then
            data(t, b, at)
        end
    end
end
payload[9] = region_access
payload[10] = region_access
local function dma_access(t, b, reply)
    if reply and b:len() == 12 then -- the specification's DMA_WRITE reply
        fields(t, b, 0, { { f.address, 8 }, { f.count, 4 } })
        return
    end
    local ok, at = fields(t, b, 0, { { f.address, 8 }, { f.count64, 8 } })
    if ok then
        data(t, b, at)
    end
end
payload[11] = dma_access
payload[12] = dma_access
payload[16] = function(t, b)
    local ok, at = fields(t, b, 0, { { f.argsz, 4 }, { f.arg_flags, 4 } })
    if ok then
        data(t, b, at)
    end
end
local function mig_data(t, b)
    local ok, at = fields(t, b, 0, { { f.argsz, 4 }, { f.mig_size, 4 } })
    if ok then
        data(t, b, at)
    end
end
payload[17] = mig_data
payload[18] = mig_data

function vfio_user.dissector(buf, pinfo, tree)
    pinfo.cols.protocol = "VFIO-USER"
    local t = tree:add(vfio_user, buf(), "vfio-user")
    if buf:len() < 16 then
        t:add_proto_expert_info(ef.short)
        pinfo.cols.info = "vfio-user: short header"
        return
    end
    local id = buf(0, 2):le_uint()
    local cmd = buf(2, 2):le_uint()
    local size = buf(4, 4):le_uint()
    local flags = buf(8, 4):le_uint()
    local reply = (flags % 16) == 1
    local is_error = math.floor(flags / 32) % 2 == 1
    t:add_le(f.msg_id, buf(0, 2))
    t:add_le(f.cmd, buf(2, 2))
    local st = t:add_le(f.msg_size, buf(4, 4))
    if size ~= buf:reported_len() then
        st:add_proto_expert_info(ef.size)
    end
    local ft = t:add_le(f.flags, buf(8, 4))
    ft:add_le(f.type, buf(8, 4))
    ft:add_le(f.no_reply, buf(8, 4))
    ft:add_le(f.error, buf(8, 4))
    t:add_le(f.errno, buf(12, 4))

    local ok, comment = pcall(comment_field)
    if ok and comment then
        local text = tostring(comment)
        local nfds = text:match("fds=(%d+)")
        local chan = text:match("chan=(%a+)")
        if nfds then
            t:add(f.fds, tonumber(nfds)):set_generated()
        end
        if chan then
            t:add(f.chan, chan):set_generated()
        end
    end

    local name = commands[cmd] or string.format("command %d", cmd)
    local kind = reply and (is_error and "error" or "reply") or "command"
    pinfo.cols.info = string.format("#%d %s %s", id, name, kind)
    if is_error then
        pinfo.cols.info:append(string.format(" errno %d", buf(12, 4):le_uint()))
    end
    local body = payload[cmd]
    if body and buf:len() > 16 and not is_error then
        body(t, buf(16):tvb(), reply)
    end
end

local encap = wtap_encaps and wtap_encaps.USER0 or wtap.USER0
DissectorTable.get("wtap_encap"):add(encap, vfio_user)

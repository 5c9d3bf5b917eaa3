import Testing
@testable import SystemCalls

@Suite(.serialized) struct FailureInjectionTests {
    @Test func parsesCallsAndErrnoNames() {
        #expect(FailureInjection.parse("write:ENOSPC,fsync:EIO") == [.write: .noSpace, .fsync: .ioError])
        #expect(FailureInjection.parse("") == [:])
        #expect(FailureInjection.parse("write:ENOPE") == nil)
        #expect(FailureInjection.parse("frobnicate:EIO") == nil)
    }

    @Test func anInjectedWriteFailsWithItsErrnoAndOthersStillWork() throws {
        let path = "/tmp/trakt-widget-injection-\(Syscalls.processID)"
        let file = try FileDescriptor.open(path, [.writeOnly, .create, .truncate])
        defer {
            file.close()
            try? Syscalls.unlink(path)
        }
        FailureInjection.set([.write: .noSpace])
        defer { FailureInjection.set([:]) }
        #expect(throws: Errno.noSpace) { try file.writeAll([1, 2, 3]) }
        try file.sync()
        FailureInjection.set([.fsync: .ioError])
        try file.writeAll([1, 2, 3])
        #expect(throws: Errno.ioError) { try file.sync() }
    }
}

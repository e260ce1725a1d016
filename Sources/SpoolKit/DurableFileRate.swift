import Glibc

/// The machine's raw durable file rate: small files made durable one at a time, the way a program that
/// does not batch would — write, `fsync`, rename into a folder, `fsync` of the folder — per second.
public enum DurableFileRate {
    /// Writes files of 1 KB in `<spool>/.tmp` for about `seconds` (at least 20), each made durable on its own;
    /// returns files per second. The files go to the spool's spare pool afterwards, not unlinked: on ext4
    /// without a journal, thousands of freed inodes would slow every file creation on the disk for the next
    /// minutes (see `SpareFiles`), the next benchmark's included.
    public static func measure(in spool: Spool, seconds: Double) throws -> Double {
        var files = 0
        let folder = spool.temporaryDirectory + "/raw-durable-rate-" + Spool.uniqueName()
        try SystemCall.makeDirectories(folder)
        defer {
            for n in 0..<files { spool.spares.recycle(folder + "/f\(n)") }
            _ = Glibc.rmdir(folder)
        }
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
        let start = SystemCall.now()
        while files < 20 || SystemCall.now() - start < seconds {
            let n = files
            let temp = folder + "/f\(n).part"
            let fd = try SystemCall.open(temp, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
            do {
                try payload.withUnsafeBytes { try SystemCall.writeAll(fd, $0, path: temp) }
                try SystemCall.fsync(fd, path: temp)
            } catch {
                _ = Glibc.close(fd)
                throw error
            }
            try SystemCall.close(fd, path: temp)
            try SystemCall.rename(temp, folder + "/f\(n)")
            try SystemCall.fsyncDirectory(folder)
            files += 1
        }
        return Double(files) / (SystemCall.now() - start)
    }
}

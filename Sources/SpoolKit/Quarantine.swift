#if canImport(Glibc)
import Glibc
#endif

extension Spool {
    /// Moves a document (or a symlink, or a directory) that can't be processed into its area's
    /// `corrupt/` folder, with `<name>.reason` beside it. Nothing is deleted.
    ///
    /// The reason file is published first, so a crash leaves at worst a reason without its document; when
    /// the document turns out to be gone already, its reason is taken back. When `corrupt/` already holds
    /// that name, a unique suffix is added. Returns the spool-relative path of the quarantined document, or
    /// nil when the document was already gone.
    @discardableResult
    public func quarantine(_ name: String, in directory: String, reason: String) throws -> String? {
        try quarantine(nameBytes: Array(name.utf8), shownAs: name, in: directory, reason: reason)
    }

    /// Quarantines an entry a scan passed over, with its explanation as the reason. The entry is renamed by
    /// its exact bytes, so a name that is not UTF-8 leaves the queue too (once, not a new reason every scan).
    @discardableResult
    public func quarantine(_ entry: IgnoredEntry, in directory: String) throws -> String? {
        try quarantine(nameBytes: entry.nameBytes, shownAs: entry.name, in: directory, reason: entry.explanation)
    }

    private func quarantine(nameBytes: [UInt8], shownAs name: String, in directory: String, reason: String) throws -> String? {
        let corrupt = corruptDirectory(for: directory)
        try SystemCall.makeDirectories(path(corrupt))
        var target = Spool.isSafeName(name) ? name : "unsafe-name." + Spool.uniqueName()
        if SystemCall.exists(path(corrupt) + "/" + target) { target += "." + Spool.uniqueName() }
        let text = "file: \(directory)/\(name)\ntime: \(SystemCall.now())\nreason: \(reason)\n"
        let batch = SpoolBatch(spool: self)
        try batch.publish(Array(text.utf8), as: target + ".reason", in: corrupt)
        try batch.commit()
        let source = (Array(path(directory).utf8) + [UInt8(ascii: "/")] + nameBytes + [0]).map { CChar(bitPattern: $0) }
        // Read literally: two quarantines of one document race for the same name in `corrupt/`.
        var outcome = try NoClobberRename.rename(source, path(corrupt) + "/" + target, reading: .literal)
        if outcome == .targetExists {
            // Another quarantine of the same name raced us: keep both, under a unique name.
            let unique = target + "." + Spool.uniqueName()
            try SystemCall.rename(path(corrupt) + "/" + target + ".reason", path(corrupt) + "/" + unique + ".reason")
            target = unique
            outcome = try NoClobberRename.rename(source, path(corrupt) + "/" + target, reading: .literal)
        }
        if outcome == .sourceMissing { _ = Glibc.unlink(path(corrupt) + "/" + target + ".reason") }
        if durability == .full {
            try SystemCall.fsyncDirectory(path(directory))
            try SystemCall.fsyncDirectory(path(corrupt))
        }
        return outcome == .moved ? corrupt + "/" + target : nil
    }

    /// Clears crash leftovers from `.tmp/`: the temporary files of processes of this host no longer running,
    /// untouched for a minute (interrupted writes and private spares, never documents), become spares (are
    /// unlinked on a shared spool); other temporary files are removed once older than `age` seconds. The
    /// temporary files of running processes are left alone (writes in progress, private spares), and so are
    /// another host's until they are older than `foreignTemporaryFileLifetime` (their process ids mean nothing
    /// here). Returns how many it cleared.
    @discardableResult
    public func purgeTemporaryFiles(olderThan age: Double = 86_400, now: Double = SystemCall.now()) throws -> Int {
        var removed = 0
        for file in try temporaryFilesNotInUse(now: now) where file.isRegular {
            let path = temporaryDirectory + "/" + file.name
            if file.writerDiedHere && file.age > 60 {
                spares.recycle(path)
                removed += 1
            } else if file.age > age {
                try? SystemCall.unlink(path)
                removed += 1
            }
        }
        return removed
    }

    /// How long another host's temporary file is taken to be in use, in seconds (a day): its writer's process
    /// id can't be checked from here, so only its age says it was left behind. Far longer than any write, and
    /// than any difference between the hosts' clocks a shared spool tolerates.
    public static let foreignTemporaryFileLifetime = 86_400.0

    /// Temporary files in `.tmp/` with their ages in seconds (for `fsck`), except those in use: those of running
    /// processes of this host, and another host's younger than `foreignTemporaryFileLifetime`.
    public func temporaryFiles(now: Double = SystemCall.now()) throws -> [(name: String, age: Double)] {
        try temporaryFilesNotInUse(now: now).map { ($0.name, $0.age) }
    }

    /// The entries of `.tmp/` not in use (see `temporaryFiles`), with their ages (since their last change) and
    /// whether their name says they were made by a process of this host that is no longer running.
    private func temporaryFilesNotInUse(now: Double) throws -> [(name: String, age: Double, isRegular: Bool, writerDiedHere: Bool)] {
        var result: [(name: String, age: Double, isRegular: Bool, writerDiedHere: Bool)] = []
        var alive: [pid_t: Bool] = [:]
        let dir = temporaryDirectory
        try SystemCall.forEachEntry(in: dir) { name, _ in
            let writer = Spool.temporaryFileWriter(name)
            let local = writer.map { $0.isOnThisHost } ?? false
            if let writer, local {
                let owner = writer.pid
                if alive[owner] == nil { alive[owner] = owner == getpid() || Glibc.kill(owner, 0) == 0 || Glibc.errno == EPERM }
                if alive[owner] == true { return true }
            }
            if let st = try SystemCall.lstat(dir + "/" + name) {
                let age = now - (Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
                if writer != nil && !local && age <= Spool.foreignTemporaryFileLifetime { return true }
                result.append((name, age, (st.st_mode & S_IFMT) == S_IFREG, local))
            }
            return true
        }
        return result
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension Spool {
    /// Moves a document (or a symlink, or a directory) that can't be processed into its area's
    /// `corrupt/` folder, with `<name>.reason` beside it. Nothing is deleted.
    ///
    /// The reason file is published first, so a crash leaves at worst a reason without its document.
    /// When `corrupt/` already holds that name, a unique suffix is added. Returns the spool-relative
    /// path of the quarantined document, or nil when the document was already gone.
    @discardableResult
    public func quarantine(_ name: String, in directory: String, reason: String) throws -> String? {
        let corrupt = corruptDirectory(for: directory)
        try SystemCall.makeDirectories(path(corrupt))
        var target = Spool.isSafeName(name) ? name : "unsafe-name." + Spool.uniqueName()
        if SystemCall.exists(path(corrupt) + "/" + target) { target += "." + Spool.uniqueName() }
        let text = "file: \(directory)/\(name)\ntime: \(SystemCall.now())\nreason: \(reason)\n"
        let batch = SpoolBatch(spool: self)
        try batch.publish(Array(text.utf8), as: target + ".reason", in: corrupt)
        try batch.commit()
        var outcome = try NoClobberRename.rename(path(directory) + "/" + name, path(corrupt) + "/" + target)
        if outcome == .targetExists {
            // Another quarantine of the same name raced us: keep both, under a unique name.
            let unique = target + "." + Spool.uniqueName()
            try SystemCall.rename(path(corrupt) + "/" + target + ".reason", path(corrupt) + "/" + unique + ".reason")
            target = unique
            outcome = try NoClobberRename.rename(path(directory) + "/" + name, path(corrupt) + "/" + target)
        }
        if durability == .full {
            try SystemCall.fsyncDirectory(path(directory))
            try SystemCall.fsyncDirectory(path(corrupt))
        }
        return outcome == .moved ? corrupt + "/" + target : nil
    }

    /// Clears crash leftovers from `.tmp/`: the temporary files of processes no longer running, untouched for
    /// a minute (interrupted writes and private spares, never documents), become spares; other temporary
    /// files are removed once older than `age` seconds. The temporary files of running processes are left
    /// alone (writes in progress, private spares). Returns how many it cleared.
    @discardableResult
    public func purgeTemporaryFiles(olderThan age: Double = 86_400, now: Double = SystemCall.now()) throws -> Int {
        var removed = 0
        let dir = temporaryDirectory
        var names: [String] = []
        var liveness: [pid_t: Bool] = [:]
        try SystemCall.forEachEntry(in: dir) { name, _ in
            if !Spool.temporaryFileIsInUse(name, liveness: &liveness) { names.append(name) }
            return true
        }
        for name in names {
            guard let st = try SystemCall.lstat(dir + "/" + name), (st.st_mode & S_IFMT) == S_IFREG else { continue }
            let idle = now - (Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
            if Spool.temporaryFileOwner(name) != nil && idle > 60 {
                spares.recycle(dir + "/" + name)
                removed += 1
            } else if idle > age {
                try? SystemCall.unlink(dir + "/" + name)
                removed += 1
            }
        }
        return removed
    }

    /// Temporary files in `.tmp/` with their ages in seconds (for `fsck`), except those of running processes.
    public func temporaryFiles(now: Double = SystemCall.now()) throws -> [(name: String, age: Double)] {
        var result: [(name: String, age: Double)] = []
        let dir = temporaryDirectory
        var liveness: [pid_t: Bool] = [:]
        try SystemCall.forEachEntry(in: dir) { name, _ in
            if !Spool.temporaryFileIsInUse(name, liveness: &liveness), let st = try SystemCall.lstat(dir + "/" + name) {
                result.append((name, now - (Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)))
            }
            return true
        }
        return result
    }
}

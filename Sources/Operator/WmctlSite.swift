import BatchSystems
import Commands
import Foundation
import SpoolKit
import SpoolLayout
import Stages
import WMCore

/// `wmctl site ls|set-state|set-slots`: the operator's view of ResourceControl.
enum WmctlSite {
    /// The site named `name` in `configuration`, by index.
    static func index(of name: String, in configuration: SiteConfiguration) throws -> Int {
        guard let i = configuration.sites.firstIndex(where: { $0.name == name }) else {
            throw CommandFailure(.noInput, "wmctl: " + SiteConfigurationError.unknownSite(name: name, known: configuration.sites.map(\.name)).description)
        }
        return i
    }

    /// `wmctl site ls [--json]`.
    static func list(_ inv: WmctlInvocation) throws -> Int32 {
        let configuration = try ExecutionLayout.siteConfiguration(spool: try inv.spool())
        if inv.json { inv.output.line(try Wmctl.jsonString(configuration.sites)); return 0 }
        for site in configuration.sites {
            inv.output.line("\(site.name) \(site.state.rawValue) pending=\(site.slots.pendingSlots) running=\(site.slots.runningSlots) "
                            + "plugin=\(site.compute.plugin) pnn=\(site.storageElement)")
        }
        return 0
    }

    /// `wmctl site set-state SITE STATE [--dry-run]`.
    static func setState(_ inv: WmctlInvocation) throws -> Int32 {
        let spool = try inv.spool()
        var configuration = try ExecutionLayout.siteConfiguration(spool: spool)
        let name = inv.arguments[0]
        let i = try index(of: name, in: configuration)
        let state: SiteState
        do { state = try SiteState(parsing: inv.arguments[1]) } catch { throw CommandFailure(.usage, "wmctl: \(error)") }
        configuration.sites[i].state = state
        configuration.sites[i].stateTime = WallClock.now()
        if inv.parsed.dryRun {
            let bound = state == .normal ? 0 : try jobsBoundTo(configuration.sites[i], spool: spool).count
            inv.output.line("\(name): would be \(state.rawValue)" + (state == .normal ? "" : "; would kill \(bound) pending job(s) whose only site it is")
                            + " (dry run: nothing changed)")
            return 0
        }
        try ExecutionLayout.saveSiteConfiguration(configuration, spool: spool)
        inv.output.line("\(name): \(state.rawValue)")
        if state != .normal {
            let killed = try killJobsBoundTo(configuration.sites[i], configuration: configuration, spool: spool)
            inv.output.line("killed \(killed) pending job(s) whose only site is \(name) (code \(AgentExitCode.siteStateKill(state)))")
        }
        return 0
    }

    /// `wmctl site set-slots SITE PENDING RUNNING [TASKTYPE] [--dry-run]`.
    static func setSlots(_ inv: WmctlInvocation) throws -> Int32 {
        let spool = try inv.spool()
        var configuration = try ExecutionLayout.siteConfiguration(spool: spool)
        let args = inv.arguments
        let i = try index(of: args[0], in: configuration)
        guard let pending = Int(args[1]), let running = Int(args[2]), (0...1_000_000).contains(pending), (0...1_000_000).contains(running) else {
            throw CommandFailure(.usage, "wmctl site set-slots: PENDING and RUNNING are counts from 0 to 1000000, got '\(args[1])' '\(args[2])'")
        }
        let limits = SlotLimits(pendingSlots: pending, runningSlots: running)
        if args.count == 4 { configuration.sites[i].taskSlots[args[3]] = limits } else { configuration.sites[i].slots = limits }
        let what = "\(args[0])\(args.count == 4 ? " " + args[3] : ""): pending=\(pending) running=\(running)"
        if inv.parsed.dryRun { inv.output.line("would set " + what + " (dry run: nothing changed)"); return 0 }
        try ExecutionLayout.saveSiteConfiguration(configuration, spool: spool)
        inv.output.line(what)
        return 0
    }

    /// Whether a job is pending at `site` with no other possible site (what changeSiteState kills).
    static func isBound(_ doc: JobDocument, to site: Site) -> Bool {
        doc.site == site.name && doc.batchStatus == .pending && Set(doc.possibleSites) == [site.name] && doc.batchID != nil
    }

    /// The executing jobs bound to `site`, read without changing anything.
    static func jobsBoundTo(_ site: Site, spool: Spool) throws -> [String] {
        let area = Areas.jobs(spool)
        return try area.scan(.executing).filter { name in
            guard let doc = try area.peek(name, in: .executing) else { return false }
            return isBound(doc, to: site)
        }
    }

    /// changeSiteState: jobs pending at `site` whose only possible site it is are killed and failed
    /// with 71301 (Aborted), 71302 (Draining) or 71303 (Down). Returns how many.
    static func killJobsBoundTo(_ site: Site, configuration: SiteConfiguration, spool: Spool) throws -> Int {
        let area = Areas.jobs(spool)
        let plugins = BatchPlugins(spool: spool, configuration: configuration)
        var options = StageOptions()
        options.spoolPath = spool.root
        let context = StageContext(spool: spool, options: options, log: Logger(component: "wmctl"))
        let code = AgentExitCode.siteStateKill(site.state)
        let report = try TransitionPass(area: area, actor: "operator").run(.executing, batchSize: 500, context: context) { doc in
            guard isBound(doc, to: site), let id = doc.batchID else { return false }
            try plugins.plugin(for: site.name).kill([id])
            doc.exitCodes.append(code)
            try doc.transition(to: .jobfailed, actor: "operator", reason: "\(code): site \(site.name) set to \(site.state.rawValue), its only site", at: context.now())
            return true
        }
        return report.done
    }
}

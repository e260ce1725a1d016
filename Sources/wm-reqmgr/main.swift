import Commands
import SpoolLayout
import Stages

StageMain.run(program: "wm-reqmgr",
              summary: "validates requests dropped in reqmgr/incoming/ and archives announced, aborted and rejected requests",
              example: "cp request.json $WM_SPOOL/reqmgr/incoming/ && wm-reqmgr --once") { _ in
    ReqMgrStage(makeManager: { spool, config in Wiring.requestManager(spool, config: config) })
}

from m2bridge.cli.main import main

raise SystemExit(main())

{
  "targets": [
    {
      "target_name": "vmango_libvirt",
      "sources": [
        "native/addon.cc",
        "native/channel.cc",
        "native/args.cc",
        "native/connection.cc",
        "native/console.cc",
        "native/connection_info.cc",
        "native/domain_agent.cc",
        "native/domain_devices.cc",
        "native/domain_events.cc",
        "native/domain_info.cc",
        "native/domain_lifecycle.cc",
        "native/domain_list.cc",
        "native/domain_net.cc",
        "native/domain_snapshot.cc",
        "native/domain_stats.cc",
        "native/enqueue.cc",
        "native/error_info.cc",
        "native/event_loop.cc",
        "native/handle.cc",
        "native/identity.cc",
        "native/memory.cc",
        "native/network.cc",
        "native/reaper.cc",
        "native/rebind.cc",
        "native/side_pool.cc",
        "native/storage_pool.cc",
        "native/storage_volume.cc",
        "native/typed_params.cc",
        "native/stream.cc",
        "native/value.cc",
        "native/worker.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(pkg-config --cflags-only-I libvirt | sed 's/-I//g')"
      ],
      "libraries": ["<!@(pkg-config --libs libvirt libvirt-qemu)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fexceptions"]
    }
  ]
}

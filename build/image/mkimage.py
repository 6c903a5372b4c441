#!/usr/bin/env python3
"""mkimage.py ROOTFS OUTDIR TAG: an OCI image of ROOTFS with no base image,
written without a container engine and without downloads:

  OUTDIR/oci/            an OCI image layout (oci-layout, index.json, blobs/)
  OUTDIR/sshbox-oci.tar  the same layout as one tar (`skopeo copy oci-archive:`,
                         `podman load`, Docker 25+ `docker load`)
  OUTDIR/sshbox-docker.tar  a `docker load` archive (manifest.json + layer.tar)

One layer: ROOTFS as a tar with owners 0:0, sorted names and a fixed mtime
(SOURCE_DATE_EPOCH, default 0), so the same input gives the same digests."""
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile

ROOTFS, OUTDIR, TAG = sys.argv[1], sys.argv[2], sys.argv[3]
MTIME = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)


def layer_tar():
    """The root filesystem as an uncompressed, reproducible tar (bytes)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(ROOTFS):
            dirnames.sort()
            for name in sorted(dirnames) + sorted(filenames):
                path = os.path.join(dirpath, name)
                arc = os.path.relpath(path, ROOTFS)
                ti = tar.gettarinfo(path, arcname=arc)
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = "root"
                ti.mtime = MTIME
                if ti.isfile():
                    with open(path, "rb") as f:
                        tar.addfile(ti, f)
                else:
                    tar.addfile(ti)
    return out.getvalue()


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def main():
    layer = layer_tar()
    layer_gz = gzip.compress(layer, mtime=MTIME)
    config = {
        "architecture": ARCH,
        "os": "linux",
        "config": {
            "Entrypoint": ["/usr/sbin/sshd", "-D", "-e"],
            "ExposedPorts": {"22/tcp": {}},
            "Volumes": {"/var/lib/sshbox": {}},
            "WorkingDir": "/",
            "StopSignal": "SIGTERM",
            "Labels": {"org.opencontainers.image.title": "sshbox", "org.opencontainers.image.version": TAG},
        },
        "rootfs": {"type": "layers", "diff_ids": [sha(layer)]},
        "history": [{"created_by": "build/image/rootfs.sh + mkimage.py (no base image)"}],
    }
    config_b = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(config_b),
                   "size": len(config_b)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(layer_gz),
                    "size": len(layer_gz)}],
    }
    manifest_b = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": manifest["mediaType"], "digest": sha(manifest_b), "size": len(manifest_b),
                       "annotations": {"org.opencontainers.image.ref.name": TAG,
                                       "io.containerd.image.name": "sshbox:" + TAG}}],
    }
    oci = os.path.join(OUTDIR, "oci")
    shutil.rmtree(oci, ignore_errors=True)
    os.makedirs(os.path.join(oci, "blobs", "sha256"))
    files = {"oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"}).encode(),
             "index.json": json.dumps(index, sort_keys=True).encode()}
    for blob in (layer_gz, config_b, manifest_b):
        files["blobs/sha256/" + sha(blob)[7:]] = blob
    for name, data in files.items():
        with open(os.path.join(oci, name), "wb") as f:
            f.write(data)
    write_tar(os.path.join(OUTDIR, "sshbox-oci.tar"), files)
    # docker load: manifest.json naming the config and an uncompressed layer
    lid = sha(layer)[7:]
    docker_manifest = [{"Config": sha(config_b)[7:] + ".json", "RepoTags": ["sshbox:" + TAG],
                        "Layers": [lid + "/layer.tar"]}]
    write_tar(os.path.join(OUTDIR, "sshbox-docker.tar"), {
        "manifest.json": json.dumps(docker_manifest).encode(),
        sha(config_b)[7:] + ".json": config_b,
        lid + "/layer.tar": layer,
    })
    print(f"image sshbox:{TAG}: layer {len(layer_gz)} bytes gzip ({len(layer)} tar), manifest {sha(manifest_b)}")


def write_tar(path, files):
    with tarfile.open(path + ".tmp", mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            data = files[name]
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode = len(data), MTIME, 0o644
            tar.addfile(ti, io.BytesIO(data))
    os.replace(path + ".tmp", path)


main()

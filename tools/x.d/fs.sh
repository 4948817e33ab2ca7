# Disk file systems (lib/jbd2, lib/ext2): the host's e2fsprogs make, inspect and check the images
# their tests use (mke2fs, debugfs, e2fsck, dumpe2fs in /usr/sbin).
X_PACKAGES+=(e2fsprogs)

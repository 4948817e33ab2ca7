# The ext2 library (lib/ext2): its host tests make, inspect and check images with e2fsprogs
# (mke2fs, debugfs, e2fsck). Sourced by ./x.

X_PACKAGES+=(e2fsprogs)

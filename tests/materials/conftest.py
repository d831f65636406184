"""Shared inputs of the materials tests."""

# Rock salt NaCl written by hand: Fm-3m, a = 5.64 A, Na at (0,0,0), Cl at (1/2,0,0); the four
# face-centring translations give a conventional cell of 4 Na + 4 Cl.
NACL_CIF = """data_NaCl
_symmetry_space_group_name_H-M   'F m -3 m'
_cell_length_a   5.64
_cell_length_b   5.64
_cell_length_c   5.64
_cell_angle_alpha   90
_cell_angle_beta   90
_cell_angle_gamma   90
loop_
 _symmetry_equiv_pos_as_xyz
  'x, y, z'
  'x+1/2, y+1/2, z'
  'x+1/2, y, z+1/2'
  'x, y+1/2, z+1/2'
loop_
 _atom_site_label
 _atom_site_type_symbol
 _atom_site_fract_x
 _atom_site_fract_y
 _atom_site_fract_z
 _atom_site_occupancy
  Na1  Na  0.0  0.0  0.0  1
  Cl1  Cl  0.5  0.0  0.0  1
"""
